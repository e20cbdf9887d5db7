"""微心愿 pages: the public wall and a wish's page (claim by SMS code), the claimer's own page,
the fund's pages to collect, screen, revoke and fulfil, the settings, and the township's view."""

from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.policy import may
from app.auth.services import mask_contact
from app.clock import local_today
from app.extensions import db, limiter
from app.money import fen_to_input
from app.notify.codes import per_phone
from app.payouts.models import Payout
from app.privacy import mask_name, mask_surname
from app.rendering import leave_for, list_filter, render, render_form
from app.uploads import file_response, read
from app.validation import REFUSED, Invalid, attempt, attempt_flash
from tenants.access import fund_access, township_access

from . import counts, photos, services
from .forms import (
    BuyForm,
    ClaimForm,
    HandoverForm,
    MoneyForm,
    ReasonForm,
    ScreenForm,
    SettingsForm,
    WishForm,
)
from .models import LISTED, ClaimStatus, Confirmer, FulfilBy, WallState, Wish, WishStatus

bp = Blueprint("wishes", __name__, url_prefix="/f/<fund_slug>/wishes")
township_bp = Blueprint("wishes_township", __name__, url_prefix="/t/<township_slug>")
WALL_STATES = WallState.values()


@bp.app_context_processor
def wish_helpers():
    return {"mask_surname": mask_surname, "donor_shown": services.donor_shown,
            "wish_label": {"status": WishStatus.label_of, "fulfil_by": FulfilBy.label_of,
                           "claim": ClaimStatus.label_of, "confirmed_by": Confirmer.label_of,
                           "state": WallState.label_of}}


@bp.app_template_global()
def wish_season() -> dict[str, int]:
    """This year's wishes of the current fund, for the public board's section."""
    return counts.season_counts(local_today().year).get(g.fund.id, {})


def _wish(wish_id: int) -> Wish:
    return db.get_or_404(Wish, wish_id)  # the fund's scope hides other funds' wishes


def _published(wish_id: int) -> Wish:
    wish = _wish(wish_id)
    if not wish.published:
        abort(404)  # only what a second person approved is public
    return wish


# --- public -------------------------------------------------------------------------------------

@bp.route("/")
@fund_access("public")
def wall():
    show = list_filter("show", WALL_STATES)
    shown = services.wall()
    tally = {state: sum(s.state == state for s in shown) for state in WALL_STATES}
    return render("wishes/wall.html", block="wall", fund=g.fund, show=show, tally=tally,
                  states=WALL_STATES,
                  wishes=[s for s in shown if show is None or s.state == show],
                  season=counts.season_counts(local_today().year).get(g.fund.id))


@bp.route("/<int:wish_id>/photo")
@fund_access("public")
def photo(wish_id: int):
    """The wish's photo (?of=handover: the hand-over's). In public only once a second person
    approved the wish; before that only the fund's people see it, to screen it."""
    wish = _wish(wish_id)
    if not wish.published and not may("wish.read"):
        abort(404)
    name = wish.handover_photo_name if request.args.get("of") == "handover" else wish.photo_name
    data = photos.load(wish.fund_id, name)
    if data is None:
        abort(404)
    return file_response(data, "image/jpeg")  # always re-encoded as JPEG (photos.py)


def _wish_page(wish: Wish, form=None, code_sent_to: str = ""):
    return render_form("wishes/wish.html", form or ClaimForm(formdata=None), block="claim",
                       fund=g.fund, shown=services.shown_of(wish), wish=wish,
                       code_sent_to=code_sent_to)


@bp.route("/<int:wish_id>")
@fund_access("public")
def wish(wish_id: int):
    return _wish_page(_published(wish_id))


@bp.route("/<int:wish_id>/claim", methods=["POST"])
@fund_access("public")
@limiter.limit("30 per minute", methods=["POST"])
@per_phone("wish")
def claim(wish_id: int):
    """Two steps on one form: the first button sends a code, the second claims with it."""
    wish = _published(wish_id)
    form = ClaimForm()
    if request.form.get("step") == "code":
        sent = attempt(form, lambda: services.ask_code(g.fund, wish, form.phone.data))
        if sent is REFUSED:
            return _wish_page(wish, form)
        db.session.commit()
        return _wish_page(wish, form, code_sent_to=mask_contact(form.phone.data.strip()))
    made = attempt(form, lambda: services.claim(g.fund, wish, services.ClaimInput(
        name=form.name.data, phone=form.phone.data, code=form.code.data,
        shown_as=form.shown_as.data)))
    if made is REFUSED:
        return _wish_page(wish, form)
    db.session.commit()
    _claim, token = made
    return leave_for(url_for("wishes.my_claim", claim_token=token))


def _my_claim(token: str):
    found = services.claim_by_token(token)
    if found is None:
        abort(404)
    return found


@bp.route("/claims/<claim_token>")
@fund_access("public")
def my_claim(claim_token: str):
    """The claimer's own page, reached by the private link they got on claiming."""
    found = _my_claim(claim_token)
    wish = found.wish
    shown = services.shown_of(wish)
    funded = bool(shown and shown.funded and shown.claim and shown.claim.id == found.id)
    args = services.donate_args(wish)
    return render("wishes/my_claim.html", fund=g.fund, claim=found, wish=wish,
                  expired=services.is_expired(found) and not funded, token=claim_token,
                  funded=funded, pay_url=url_for("payments.donate", **args) if args else None)


@bp.route("/claims/<claim_token>/cancel", methods=["POST"])
@fund_access("public")
def cancel(claim_token: str):
    found = _my_claim(claim_token)
    if attempt_flash(lambda: services.cancel(found)) is not REFUSED:
        db.session.commit()
        flash(_("Your claim is cancelled; the wish is back on the wall."), "success")
    return leave_for(url_for("wishes.my_claim", claim_token=claim_token))


# --- the fund's people ---------------------------------------------------------------------------

@bp.route("/manage")
@fund_access("wish.read")
def manage():
    status = list_filter("status", WishStatus.values())
    wishes = services.staff_list(status)
    return render("wishes/manage.html", block="list", fund=g.fund, wishes=wishes, status=status,
                  tabs=LISTED,
                  live=services.live_claims([w.id for w in wishes if w.status == "open"]),
                  settings=services.settings_of(g.fund.id))


@bp.route("/new", methods=["GET", "POST"])
@fund_access("wish.collect")
def new():
    form = WishForm()
    if form.is_submitted():
        made = attempt(form, lambda: services.collect(g.fund.id, services.WishInput(
            title=form.title.data, value=form.value.data, fulfil_by=form.fulfil_by.data,
            village_group=form.village_group.data, recipient_name=form.recipient_name.data,
            recipient_age=form.recipient_age.data, situation=form.situation.data,
            details=form.details.data, photo=read(form.photo.data)), current_user))
        if made is not REFUSED:
            db.session.commit()
            flash(_("The wish is written down. A second person screens it before it goes on "
                    "the wall."), "success")
            return leave_for(url_for("wishes.detail", wish_id=made.id))
    return render_form("wishes/new.html", form, block="form", fund=g.fund,
                       cap=services.settings_of(g.fund.id).cap_fen)


def _detail(wish: Wish, **forms):
    """The staff page of a wish, with a refused form (if any) showing its messages."""
    today = local_today()
    defaults = {
        "screen_form": ScreenForm(formdata=None),
        "revoke_form": ReasonForm(formdata=None),
        "handover_form": HandoverForm(formdata=None, handed_over_on=today,
                                      value=fen_to_input(wish.value_fen)),
        "money_form": MoneyForm(formdata=None, received_on=today,
                                amount=fen_to_input(wish.value_fen)),
        "buy_form": BuyForm(formdata=None, amount=fen_to_input(wish.value_fen)),
    }
    refused = any(f.errors for f in forms.values())
    return render("wishes/detail.html", http_status=422 if refused else 200, fund=g.fund,
                  wish=wish, shown=services.shown_of(wish),
                  paid_with=services.funding([wish]).get(wish.id, (None,))[0],
                  live=services.live_claim(wish), history=services.claim_history(wish),
                  project=services.wish_project(), mask_contact=mask_contact,
                  mask_name=mask_name, expired=services.is_expired,
                  payout=db.session.get(Payout, wish.payout_id) if wish.payout_id else None,
                  **{**defaults, **forms})


@bp.route("/<int:wish_id>/manage")
@fund_access("wish.read")
def detail(wish_id: int):
    return _detail(_wish(wish_id))


def _act(wish: Wish, form_name: str, form, action, done: str):
    if attempt(form, action) is REFUSED:
        return _detail(wish, **{form_name: form})
    db.session.commit()
    flash(done, "success")
    return leave_for(url_for("wishes.detail", wish_id=wish.id))


@bp.route("/<int:wish_id>/screen", methods=["POST"])
@fund_access("wish.screen")
def screen(wish_id: int):
    wish, form = _wish(wish_id), ScreenForm()
    approve = request.form.get("decision") == "approve"
    return _act(wish, "screen_form", form,
                lambda: services.screen(wish, current_user, approve, form.reason.data),
                _("The wish is on the wall.") if approve else _("The wish is returned."))


@bp.route("/<int:wish_id>/revoke", methods=["POST"])
@fund_access("wish.revoke")
def revoke(wish_id: int):
    wish, form = _wish(wish_id), ReasonForm()

    def action():
        live = services.live_claim(wish)
        if live is None:
            raise Invalid({"reason": _("This wish has no active claim.")})
        return services.revoke(live, current_user, form.reason.data)

    return _act(wish, "revoke_form", form, action,
                _("The claim is revoked; the wish is back on the wall."))


@bp.route("/<int:wish_id>/handover", methods=["POST"])
@fund_access("wish.handover")
def handover(wish_id: int):
    wish, form = _wish(wish_id), HandoverForm()
    return _act(wish, "handover_form", form, lambda: services.handover(
        wish, services.HandoverInput(handed_over_on=form.handed_over_on.data,
                                     confirmed_by=form.confirmed_by.data,
                                     value=form.value.data, note=form.note.data,
                                     photo=read(form.photo.data)), current_user),
        _("The hand-over is recorded as a gift in kind with its receipt; the wish is "
          "fulfilled."))


@bp.route("/<int:wish_id>/money", methods=["POST"])
@fund_access("money.record")
def money(wish_id: int):
    wish, form = _wish(wish_id), MoneyForm()
    return _act(wish, "money_form", form, lambda: services.record_money(
        wish, services.MoneyInput(amount=form.amount.data, channel=form.channel.data,
                                  received_on=form.received_on.data,
                                  reference=form.reference.data), current_user),
        _("The donor's money is recorded with its receipt. The fund now buys the wish with a "
          "payout."))


@bp.route("/<int:wish_id>/buy", methods=["POST"])
@fund_access("payout.request")
def buy(wish_id: int):
    wish, form = _wish(wish_id), BuyForm()
    return _act(wish, "buy_form", form, lambda: services.buy(
        wish, services.BuyInput(amount=form.amount.data, payee=form.payee.data,
                                payee_account=form.payee_account.data), current_user),
        _("The payout is requested; the wish is fulfilled when it is paid."))


@bp.route("/settings", methods=["GET", "POST"])
@fund_access("wish.configure")
def settings():
    current = services.settings_of(g.fund.id)
    form = SettingsForm(formdata=request.form if request.method == "POST" else None,
                        cap=fen_to_input(current.cap_fen), claim_days=current.claim_days)
    if form.is_submitted():
        saved = attempt(form, lambda: services.save_settings(
            g.fund.id, form.cap.data, form.claim_days.data, current_user))
        if saved is not REFUSED:
            db.session.commit()
            flash(_("Saved."), "success")
            return leave_for(url_for("wishes.manage"))
    return render_form("wishes/settings.html", form, block="form", fund=g.fund)


# --- the township ---------------------------------------------------------------------------------

@township_bp.route("/wishes")
@township_access()
def township():
    """Wishes per fund, this year's counts and the claims that lapsed: what to follow up."""
    funds = sorted(g.township.funds, key=lambda f: f.id)
    return render("wishes/township.html", township=g.township, funds=funds,
                  by_status=counts.status_counts(), year=local_today().year,
                  season=counts.season_counts(local_today().year),
                  overdue=counts.overdue_claims(), mask_name=mask_name,
                  names={f.id: f.name for f in funds})
