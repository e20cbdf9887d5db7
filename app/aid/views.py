"""关爱发放 pages: programmes, proposing people, the batch vote, entitlements, the hand-out
sheet (phone and A4 roster), signatures, partner shops and their redeem page, paying for
what was given, and the public page of the programmes."""

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app.auth.policy import may
from app.clock import local_today
from app.donations.models import Designation
from app.extensions import db, limiter
from app.money import fen_to_input, yuan
from app.qr import svg_data_uri
from app.rendering import leave_for, render, render_form
from app.uploads import read as read_upload
from app.urls import external_url
from app.validation import REFUSED, attempt, attempt_flash, int_or_none
from tenants.access import fund_access

from . import changes, exports, reviews, roster, services
from .forms import (
    ChangeForm,
    PaperForm,
    PeriodForm,
    PersonForm,
    ProgrammeForm,
    RedeemForm,
    ReviewForm,
    SettleForm,
    ShopForm,
    SignatureForm,
)
from .models import (
    AidKind,
    Collector,
    Enrolment,
    Entitlement,
    Frequency,
    HandoutMethod,
    Programme,
    ReviewDecision,
    Shop,
)

bp = Blueprint("aid", __name__, url_prefix="/f/<fund_slug>/aid")


def _public_limit() -> str:
    return current_app.config.get("PUBLIC_FORM_RATE_LIMIT", "5 per minute;20 per hour")


@bp.route("/")
@fund_access("aid.read")
def index():
    return render("aid/index.html", summaries=[services.summary(p)
                                               for p in services.programmes()])


@bp.route("/new", methods=["GET", "POST"])
@fund_access("aid.create")
def new():
    form = ProgrammeForm()
    form.designation_id.choices = [SelectChoice("", _("A purpose of its own"))] + [
        SelectChoice(str(d.id), d.name) for d in db.session.scalars(
            select(Designation).where(Designation.active.is_(True)).order_by(Designation.name))]
    if form.is_submitted():
        programme = attempt(form, lambda: services.create_programme(services.ProgrammeInput(
            title=form.title.data or "", category=form.category.data or "",
            kind=form.kind.data or "", value=form.value.data or "",
            frequency=form.frequency.data or "", starts_on=form.starts_on.data,
            ends_on=form.ends_on.data, rule=form.rule.data or "", budget=form.budget.data or "",
            goods=form.goods.data or "", designation_id=_designation(form.designation_id.data),
            public_names=form.public_names.data), current_user))
        if programme is not REFUSED:
            db.session.commit()
            flash(_("Programme proposed. The chair puts it to the committee's vote."), "info")
            return leave_for(url_for("aid.programme", programme_id=programme.id))
    return render_form("aid/new.html", form, block="form")


def _designation(value) -> int | None:
    return value if value and db.session.get(Designation, value) is not None else None


def _programme(programme_id: int) -> Programme:
    return db.get_or_404(Programme, programme_id)


@bp.route("/<int:programme_id>")
@fund_access("aid.read")
def programme(programme_id: int):
    item = _programme(programme_id)
    return _programme_page(item)


def _programme_page(item: Programme, http_status: int = 200, period_form=None):
    today = local_today()
    found = changes.periods_of(item, today)
    current = found[0] if found else None
    enrolled = services.enrolments(item)
    states = {e.id: services.enrolment_state(e) for e in enrolled}
    counts = {s: sum(1 for v in states.values() if v == s)
              for s in ("proposed", "voting", "approved", "refused")}
    shops = list(db.session.scalars(select(Shop).where(Shop.active.is_(True)).order_by(Shop.id)))
    settle_form = SettleForm(formdata=None)
    # Only the shops owed something for this programme, with how much.
    owed = [(s, sum(e.amount_fen for e in services.unpaid(item, s))) for s in shops] \
        if item.kind == "voucher" else []
    settle_form.shop_id.choices = [SelectChoice(str(s.id), f"{s.name} · ¥{yuan(fen)}")
                                   for s, fen in owed if fen]
    return render(
        "aid/programme.html", http_status=http_status, item=item,
        summary=services.summary(item), state=services.state_of(item),
        enrolled=enrolled if may("aid.see_names") else [], states=states, counts=counts,
        periods=found, current=current,
        rows=services.sheet(item, current) if current else [],
        period_form=period_form or PeriodForm(formdata=None, period=current),
        settle_form=settle_form, reconciliation=services.reconcile(item),
        versions=changes.history(item), change_state=changes.change_state,
        pending_change=changes.pending(item), terms_today=changes.terms_on(item, today),
        reviews_due=len(reviews.due(item, today)) if may("aid.see_names") else 0)


@bp.route("/<int:programme_id>/change", methods=["GET", "POST"])
@fund_access("aid.create")
def change(programme_id: int):
    """Propose new terms; the programme changes only when the committee's vote carries."""
    item = _programme(programme_id)
    if request.method == "POST":
        form = ChangeForm()
    else:  # today's terms to start from (a POST never falls back on them)
        form = ChangeForm(value=fen_to_input(item.value_fen), frequency=item.frequency,
                          ends_on=item.ends_on, rule=item.rule,
                          budget=fen_to_input(item.proposal.requested_fen))
    if form.is_submitted():
        done = attempt(form, lambda: changes.propose_change(item, changes.ChangeInput(
            value=form.value.data or "", frequency=form.frequency.data or "",
            ends_on=form.ends_on.data, rule=form.rule.data or "", budget=form.budget.data or "",
            reason=form.reason.data or ""), current_user))
        if done is not REFUSED:
            db.session.commit()
            flash(_("Change proposed. The chair puts it to the committee's vote; until it "
                    "carries, the programme stays as it is."), "info")
            return leave_for(url_for("aid.programme", programme_id=item.id) + "#versions")
    return render_form("aid/change.html", form, block="form", item=item,
                       pending_change=changes.pending(item))


@bp.route("/<int:programme_id>/change/vote", methods=["POST"])
@fund_access("motion.open")
def change_vote(programme_id: int):
    item = _programme(programme_id)
    waiting = changes.pending(item)
    if waiting is None or waiting.motion_id is not None:
        flash(_("No change of this programme is waiting for a vote."), "error")
        return redirect(url_for("aid.programme", programme_id=item.id))
    motion = attempt_flash(lambda: changes.put_to_vote(waiting, current_user))
    if motion is REFUSED:
        return redirect(url_for("aid.programme", programme_id=item.id))
    db.session.commit()
    return redirect(url_for("governance.motion", motion_id=motion.id))


@bp.route("/<int:programme_id>/reviews", methods=["GET", "POST"])
@fund_access("aid.review")
def review(programme_id: int):
    """The yearly reviews due: the 社工 records, for each person, go on or end, and why."""
    item = _programme(programme_id)
    failed, form = None, None
    if request.method == "POST":
        # One form per person on the page, each with its own prefix (unique ids).
        enrolment = db.session.get(Enrolment, int_or_none(request.form.get("enrolment")) or 0)
        if enrolment is None or enrolment.programme_id != item.id:
            abort(404)
        form = ReviewForm(prefix=f"e{enrolment.id}")
        done = attempt(form, lambda: reviews.review(enrolment, reviews.ReviewInput(
            decision=form.decision.data or "", reason=form.reason.data or ""), current_user))
        if done is not REFUSED:
            db.session.commit()
            flash(_("Review recorded."), "info")
            return redirect(url_for("aid.review", programme_id=item.id))
        failed = enrolment.id
    due = reviews.due(item)
    forms = {e.id: form if e.id == failed else ReviewForm(formdata=None, prefix=f"e{e.id}")
             for e in due}
    if failed and failed not in forms:  # no longer due: say why beside nothing
        flash(" ".join(str(m) for ms in form.errors.values() for m in ms), "error")
    return render("aid/reviews.html", http_status=422 if failed else 200, item=item, due=due,
                  forms=forms, due_on=reviews.due_on, last_reviewed=reviews.last_reviewed)


@bp.route("/<int:programme_id>/handouts.xlsx")
@fund_access("aid.export")
def export(programme_id: int):
    return exports.respond(_programme(programme_id), g.fund)


@bp.route("/<int:programme_id>/enrol", methods=["GET", "POST"])
@fund_access("aid.propose")
def enrol(programme_id: int):
    item = _programme(programme_id)
    form = PersonForm()
    if form.is_submitted():
        done = attempt(form, lambda: services.propose(item, services.PersonInput(
            name=form.name.data or "", id_number=form.id_number.data or "",
            village_group=form.village_group.data or "", household=form.household.data or "",
            situation=form.situation.data or "", proxy_name=form.proxy_name.data or "",
            proxy_phone=form.proxy_phone.data or "", name_consent=form.name_consent.data,
            starts_on=form.starts_on.data, ends_on=form.ends_on.data), current_user))
        if done is not REFUSED:
            db.session.commit()
            flash(_("Proposed. The committee decides on it in the next batch vote."), "info")
            return leave_for(url_for("aid.enrol", programme_id=item.id))
    return render_form("aid/enrol.html", form, block="form", item=item)


@bp.route("/<int:programme_id>/vote", methods=["POST"])
@fund_access("motion.open")
def vote(programme_id: int):
    item = _programme(programme_id)
    motion = attempt_flash(lambda: services.put_to_vote(item, current_user))
    if motion is REFUSED:
        return redirect(url_for("aid.programme", programme_id=item.id))
    db.session.commit()
    return redirect(url_for("governance.motion", motion_id=motion.id))


@bp.route("/<int:programme_id>/entitlements", methods=["POST"])
@fund_access("aid.hand_out")
def entitlements(programme_id: int):
    item = _programme(programme_id)
    form = PeriodForm()
    made = attempt(form, lambda: services.make_entitlements(item, form.period.data or ""))
    if made is REFUSED:
        return _programme_page(item, 422, period_form=form)
    db.session.commit()
    flash(_("%(n)d new entitlements for %(period)s.", n=made, period=form.period.data), "info")
    return redirect(url_for("aid.sheet", programme_id=item.id, period=form.period.data))


def _period(item: Programme, period: str) -> str:
    if changes.period_bounds(item, period) is None:
        abort(404)
    return period


@bp.route("/<int:programme_id>/sheet/<period>")
@fund_access("aid.hand_out")
def sheet(programme_id: int, period: str):
    item = _programme(programme_id)
    return _sheet_page(item, _period(item, period))


def _sheet_page(item: Programme, period: str, paper_form=None, http_status: int = 200):
    group = request.args.get("group") or None
    rows = services.sheet(item, period, group)
    everyone = services.sheet(item, period) if group else rows
    return render("aid/sheet.html", block="sheet", http_status=http_status, item=item,
                  period=period, rows=rows, group=group,
                  groups=sorted({r.person.village_group for r in everyone}),
                  paper_form=paper_form or PaperForm(formdata=None))


@bp.route("/<int:programme_id>/sheet/<period>/roster.pdf")
@fund_access("aid.hand_out")
def roster_pdf(programme_id: int, period: str):
    item = _programme(programme_id)
    period = _period(item, period)
    group = request.args.get("group") or None
    data = roster.render(g.fund, item, period, services.sheet(item, period, group), group)
    return send_file(io.BytesIO(data), mimetype="application/pdf",
                     download_name=f"{item.title}-{period}.pdf")


@bp.route("/<int:programme_id>/sheet/<period>/paper", methods=["POST"])
@fund_access("aid.hand_out")
def paper(programme_id: int, period: str):
    item = _programme(programme_id)
    period = _period(item, period)
    form = PaperForm()
    ids = [n for n in map(int_or_none, form.entitlements.data or []) if n is not None]
    done = attempt(form, lambda: services.hand_out_on_paper(
        item, period, ids, read_upload(form.photo.data), current_user))
    if done is REFUSED:
        return _sheet_page(item, period, paper_form=form, http_status=422)
    db.session.commit()
    flash(_("%(n)d hand-outs recorded from the paper roster.", n=len(done)), "info")
    return redirect(url_for("aid.sheet", programme_id=item.id, period=period))


@bp.route("/entitlement/<int:entitlement_id>", methods=["GET", "POST"])
@fund_access("aid.hand_out")
def handout(entitlement_id: int):
    entitlement = db.get_or_404(Entitlement, entitlement_id)
    item = _programme(entitlement.programme_id)
    form = SignatureForm()
    if form.is_submitted():
        done = attempt(form, lambda: services.hand_out(
            entitlement, current_user, collector=form.collector.data or "",
            signature=services.signature_png(form.signature.data)))
        if done is not REFUSED:
            db.session.commit()
            flash(_("Handed out and signed."), "info")
            return leave_for(url_for("aid.handout", entitlement_id=entitlement.id))
    row = next(r for r in services.sheet(item, entitlement.period)
               if r.entitlement.id == entitlement.id)
    qr = None
    if row.voucher is not None and row.handout is not None:
        qr = svg_data_uri(external_url("aid.voucher", fund_slug=g.fund.slug,
                                       voucher_code=row.voucher.code))
    return render_form("aid/handout.html", form, block="form", item=item, row=row, qr=qr)


@bp.route("/<int:programme_id>/settle", methods=["POST"])
@fund_access("aid.settle")
def settle(programme_id: int):
    item = _programme(programme_id)
    form = SettleForm()
    shop = db.session.get(Shop, form.shop_id.data) if form.shop_id.data else None
    payout = attempt_flash(lambda: services.settle(item, current_user, shop))
    if payout is REFUSED:
        return redirect(url_for("aid.programme", programme_id=item.id))
    db.session.commit()
    flash(_("Payout requested. The people the fund's rules name must now approve it."), "info")
    return redirect(url_for("payouts.detail", payout_id=payout.id))


@bp.route("/shops", methods=["GET", "POST"])
@fund_access("aid.shops")
def shops():
    form = ShopForm()
    if form.is_submitted():
        shop = attempt(form, lambda: services.add_shop(form.name.data or "",
                                                       form.payee_account.data or ""))
        if shop is not REFUSED:
            db.session.commit()
            return leave_for(url_for("aid.shops"))
    rows = [(s, external_url("aid.shop", fund_slug=g.fund.slug, shop_token=s.token))
            for s in db.session.scalars(select(Shop).order_by(Shop.id))]
    return render_form("aid/shops.html", form, block="form", rows=rows)


@bp.route("/shop/<shop_token>", methods=["GET", "POST"])
@fund_access("public")
@limiter.limit(_public_limit, methods=["POST"])
def shop(shop_token: str):
    found = services.shop_by_token(shop_token)
    if found is None:
        abort(404)
    form = RedeemForm()
    redeemed = None
    if form.is_submitted():
        redeemed = attempt(form, lambda: services.redeem(found, form.voucher.data or ""))
        if redeemed is not REFUSED:
            db.session.commit()
            form = RedeemForm(formdata=None)
        else:
            redeemed = None
    return render_form("aid/shop.html", form, block="form", shop=found, redeemed=redeemed,
                       value=_voucher_value(redeemed) if redeemed else None)


def _voucher_value(voucher) -> int:
    return db.session.get(Entitlement, voucher.entitlement_id).amount_fen


@bp.route("/voucher/<voucher_code>")
@fund_access("public")
def voucher(voucher_code: str):
    found = services.voucher_by_code(voucher_code)
    if found is None:
        abort(404)
    entitlement = db.session.get(Entitlement, found.entitlement_id)
    return render("aid/voucher.html", voucher=found, entitlement=entitlement,
                  item=db.session.get(Programme, entitlement.programme_id))


@bp.route("/public")
@fund_access("public")
def public():
    return render("aid/public.html", summaries=services.public_summaries())


STATE_WORDS = {
    "proposed": _l("Proposed, waiting for a vote"), "voting": _l("Being voted on"),
    "approved": _l("Approved"), "refused": _l("Not approved"),
    "running": _l("Running"), "ended": _l("Ended"), "stopped": _l("Stopped"),
    "handed": _l("Handed out"), "redeemed": _l("Voucher used"), "missed": _l("Not collected"),
    "carried": _l("Carried"), "lost": _l("Not carried"),
}


@bp.app_template_global()
def aid_label(code: str) -> str:
    """The words of an aid state, kind or frequency, in the reader's language."""
    if code in STATE_WORDS:
        return str(STATE_WORDS[code])
    for codes in (AidKind, Frequency, Collector, HandoutMethod, ReviewDecision):
        if code in codes.values():
            return codes.label_of(code)
    return code


@bp.app_template_global()
def aid_board() -> list:
    """The public board's 关爱发放 section (templates/aid/_board.html): the running
    programmes, counts and money only, masked names where the programme and person allow."""
    return services.public_summaries() if g.get("fund") is not None else []
