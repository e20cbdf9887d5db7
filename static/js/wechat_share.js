// Inside WeChat, with the host's official account: the page's share card (title, text,
// picture) through the JS-SDK, configured with a signature the server made for this URL.
(() => {
  const tag = document.getElementById("wechat-share");
  if (!tag || typeof wx === "undefined") return; // a plain link card, which is fine
  const config = JSON.parse(tag.dataset.config);
  wx.config({ ...config, jsApiList: ["updateAppMessageShareData", "updateTimelineShareData"] });
  wx.ready(() => {
    const share = { title: tag.dataset.title, desc: tag.dataset.desc, link: tag.dataset.link,
                    imgUrl: tag.dataset.image };
    wx.updateAppMessageShareData(share);
    wx.updateTimelineShareData(share);
  });
})();
