"""The node's JSON API: one NinjaAPI, one router per app, OpenAPI at /api/docs (staff only).

Domain errors become 400 with field, reason and remedy; refusals become 403 with a Japanese
message (already audited by the service); anonymous calls get 401.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import django_auth

from jumin.accounts.authorization import AccessRefused
from jumin.domain.errors import DomainError
from jumin.registry.api import router as registry_router

api = NinjaAPI(title="Jumin API", version="1", auth=django_auth, urls_namespace="api")
api.add_router("/atena", "jumin.atena.api.router")
api.add_router("/audit", "jumin.audit.api.router")
api.add_router("/certificates", "jumin.certificates.api.router")
api.add_router("/jukinet/cs", "jumin.jukinet.cs.api.router")
api.add_router("/jukinet/national", "jumin.jukinet.national.api.router")
api.add_router("/jukinet/prefecture", "jumin.jukinet.prefecture.api.router")
api.add_router("/jukinet/provision", "jumin.jukinet.prefecture.provision.api.router")
api.add_router("/messaging", "jumin.messaging.api.router")
api.add_router("/registry", registry_router)
api.add_router("/registry/household", "jumin.registry.api_household.router")
api.add_router("/registry/events", "jumin.registry.api_events.router")
api.add_router("/registry/search", "jumin.registry.api_search.router")
api.add_router("/registry/imports", "jumin.registry.api_imports.router")
api.add_router("/registry/inquiry", "jumin.registry.api_search.inquiry_router")
api.add_router("/registry/corrections", "jumin.registry.api_corrections.router")
api.add_router("/registry/foreign", "jumin.registry.api_foreign.router")
api.add_router("/registry/restrictions", "jumin.registry.api_restrictions.router")
api.add_router("/registry/review", "jumin.registry.api_review.router")
api.add_router("/registry/notices", "jumin.registry.api_notices.router")
api.add_router("/registry/programs", "jumin.registry.api_programs.router")
api.add_router("/registry/memos", "jumin.registry.api_memos.router")
api.add_router("/registry/notes", "jumin.registry.api_notes.router")
api.add_router("/registry/code-changes", "jumin.registry.api_number_changes.router")
api.add_router("/registry/kojin-bango-requests", "jumin.registry.api_number_requests.router")
api.add_router("/registry/renewal-targets", "jumin.registry.api_renewal_targets.router")
api.add_router("/registry/special-moves", "jumin.registry.api_special_moves.router")
api.add_router("/registry/fuhyo-notices", "jumin.registry.api_fuhyo.router")
api.add_router("/registry/returning", "jumin.registry.api_returning.router")
api.add_router("/registry/immigration", "jumin.registry.api_immigration.router")
api.add_router("/registry/e-applications", "jumin.registry.api_e_applications.router")
api.add_router("/registry/certificate-revocations", "jumin.registry.api_jpki_revocations.router")
api.add_router("/registry/euc", "jumin.registry.api_euc.router")


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=400)


@api.exception_handler(AccessRefused)
def access_refused(request: HttpRequest, error: AccessRefused) -> HttpResponse:
    return api.create_response(request, {"message": error.message}, status=403)
