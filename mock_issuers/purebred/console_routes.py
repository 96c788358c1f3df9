"""The registration agents' console (enterprise listener). An agent signs in with their OWN PIV
card by mutual TLS (chain + OCSP, as any card sign-in) and must be a registered agent. They look
the applicant up by the card the applicant presents, confirm them in person, hand out the
pre-enroll code, confirm the fingerprint the device shows, then hand out the enroll code."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from cryptography import x509

from servicekit.problems import BadRequest, Forbidden, read_json
from trust_store.clock import isoformat

from ..issuer.sessions import PortalSession
from ..kinds import CardRequired
from ..peer import client_certificate
from ..wire import bearer_token, get_str, read_optional_json
from .applicants import Applicant
from .kinds import AgentNotRegistered, ApplicantNotConfirmed, StepOutOfOrder
from .otps import AGENT_STEPS, OtpStep
from .preenroll import PreState
from .service import PUREBRED_SERVICE, PurebredService

MAX_PEM = 16384


def agent_session(request: web.Request, service: PurebredService) -> PortalSession:
    """The signed-in agent; de-registering an agent ends their sessions at once."""
    session = service.console_sessions.lookup(bearer_token(request), service.clock.now())
    if not service.agents.is_registered(session.holder):
        raise AgentNotRegistered(f"{session.holder.upn} is no longer a registered Purebred agent")
    return session


def step_of(body: dict[str, Any], allowed: tuple[OtpStep, ...], who: str) -> OtpStep:
    raw = get_str(body, "step", max_len=32)
    try:
        step = OtpStep(raw)
    except ValueError:
        raise BadRequest(f"step must be one of {[s.value for s in allowed]}") from None
    if step not in allowed:
        raise BadRequest(
            f"{who} hand out codes for {[s.value for s in allowed]} only, not {step.value!r}"
        )
    return step


async def sign_in(request: web.Request) -> web.Response:
    service = request.app[PUREBRED_SERVICE]
    cert = client_certificate(request)
    if cert is None:
        raise CardRequired(
            "agents sign in to the console with their own PIV card: no TLS client certificate"
        )
    holder = await service.core.verifier.verify(cert)
    if not service.agents.is_registered(holder):
        raise AgentNotRegistered(
            f"{holder.upn} is not a registered Purebred agent (an administrator registers "
            "agents by UPN or card UUID: settings or POST /admin/agents)"
        )
    now = service.clock.now()
    session = service.console_sessions.open(holder, now, service.settings.session_lifetime)
    body = {
        "session": session.token,
        "agent": holder.to_json(),
        "expiresAt": isoformat(session.expires_at),
    }
    return web.json_response(body, status=201)


def _applicant_json(service: PurebredService, applicant: Applicant) -> dict[str, Any]:
    now = service.clock.now()
    uuid = applicant.holder.card_uuid
    return {
        **applicant.to_json(),
        "preEnrollments": [p.to_json(now) for p in service.pre_enrollments.of_applicant(uuid)],
        "enrollments": [e.summary(now) for e in service.core.enrollments_of_card(uuid)],
    }


async def identify_applicant(request: web.Request) -> web.Response:
    """Look the applicant up by the PIV Authentication certificate read off their card."""
    service = request.app[PUREBRED_SERVICE]
    agent = agent_session(request, service)
    pem = get_str(await read_json(request), "certificate", max_len=MAX_PEM)
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as e:
        raise BadRequest(f"certificate is not a PEM X.509 certificate: {e}") from e
    holder = await service.core.verifier.verify(cert)
    if holder.card_uuid == agent.holder.card_uuid:
        raise Forbidden("an agent may not enroll themselves; another agent must")
    applicant, created = service.applicants.identify(holder, agent.holder.upn, service.clock.now())
    return web.json_response(_applicant_json(service, applicant), status=201 if created else 200)


async def get_applicant(request: web.Request) -> web.Response:
    service = request.app[PUREBRED_SERVICE]
    agent_session(request, service)
    applicant = service.applicants.get(request.match_info["id"])
    return web.json_response(_applicant_json(service, applicant))


async def confirm_applicant(request: web.Request) -> web.Response:
    """The agent has checked, in person, that the card is the applicant's."""
    service = request.app[PUREBRED_SERVICE]
    agent = agent_session(request, service)
    await read_optional_json(request)
    applicant = service.applicants.get(request.match_info["id"])
    service.applicants.confirm(applicant, agent.holder.upn, service.clock.now())
    return web.json_response(_applicant_json(service, applicant))


async def issue_otp(request: web.Request) -> web.Response:
    service = request.app[PUREBRED_SERVICE]
    agent = agent_session(request, service)
    step = step_of(await read_json(request), AGENT_STEPS, "agents")
    applicant = service.applicants.get(request.match_info["id"])
    now = service.clock.now()
    if not applicant.confirmed:
        raise ApplicantNotConfirmed("confirm the applicant's identity before handing out codes")
    if step is OtpStep.ENROLL and not any(
        p.state is PreState.CONFIRMED and p.status(now) != "expired"
        for p in service.pre_enrollments.of_applicant(applicant.holder.card_uuid)
    ):
        raise StepOutOfOrder(
            "confirm the fingerprint of a pre-enrollment before handing out the enroll code"
        )
    otp = service.otps.issue(
        step,
        applicant.holder.card_uuid,
        f"agent:{agent.holder.upn}",
        now,
        service.settings.otp_lifetime,
    )
    return web.json_response(otp.to_json(), status=201)


async def confirm_pre_enrollment(request: web.Request) -> web.Response:
    """The agent compares the fingerprint the device shows with the server's and confirms."""
    service = request.app[PUREBRED_SERVICE]
    agent = agent_session(request, service)
    typed = get_str(await read_json(request), "fingerprint", max_len=64)
    pre = service.pre_enrollments.get(request.match_info["id"])
    now = service.clock.now()
    pre.check_confirmable(typed, now)
    service.pre_enrollments.confirm(pre, agent.holder.upn)
    return web.json_response(pre.to_json(now))


def add_console_routes(app: web.Application) -> None:
    app.router.add_post("/console/session", sign_in)
    app.router.add_post("/console/applicants", identify_applicant)
    app.router.add_get("/console/applicants/{id}", get_applicant)
    app.router.add_post("/console/applicants/{id}/confirm", confirm_applicant)
    app.router.add_post("/console/applicants/{id}/otps", issue_otp)
    app.router.add_post("/console/pre-enrollments/{id}/confirm", confirm_pre_enrollment)
