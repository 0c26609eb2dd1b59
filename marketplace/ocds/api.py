"""Open contracting data: ``GET /api/v1/ocds/releases/``, public, one release package per page."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound, ValidationFailed
from common.parsing import read_integer
from marketplace.ocds.releases import parse_since, release_package, release_page

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000  # far beyond any page there is: a larger number is refused, not looked up


def _page_number(params, name: str, default: int, maximum: int) -> int:
    value = read_integer(params.get(name), field=name, low=1, high=maximum, required=False)
    return default if value is None else value


class OcdsReleasesView(APIView):
    """OCDS 1.1 release package of frameworks, call-off awards, contracts and consumption.

    Public. Releases are ordered by date (the time of their latest change); ``since`` (ISO date or
    date-time) keeps releases dated at or after it; ``page`` and ``page_size`` (at most 1000)
    paginate, with ``links.next`` / ``links.prev`` in the package. When nothing matches, 404 with
    code ``no_releases``: an OCDS release package must hold at least one release.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.STR, description="ISO 8601 date or date-time."),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=f"At most {MAX_PAGE_SIZE}."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        since = None
        raw_since = request.query_params.get("since", "")
        if raw_since:
            try:
                since = parse_since(raw_since)
            except ValueError as error:
                message = _("Give the date as YYYY-MM-DD or an ISO 8601 date-time.")
                raise ValidationFailed(message, fields={"since": [message]}) from error
        page = _page_number(request.query_params, "page", 1, MAX_PAGE)
        page_size = _page_number(request.query_params, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        result = release_page(since=since, page=page, page_size=page_size)
        if page > 1 and not result.releases:
            raise NotFound(_("There is no page %(page)s.") % {"page": page})
        if not result.releases:
            # A release package holds one or more releases (OCDS schema): none is not a package.
            message = (_("No release is dated at or after %(since)s.") % {"since": raw_since} if since
                       else _("Nothing is published yet."))
            raise NotFound(message, code="no_releases")
        links = {}
        if result.has_next:
            links["next"] = self._page_url(request, page + 1)
        if page > 1:
            links["prev"] = self._page_url(request, page - 1)
        package = release_package(uri=request.build_absolute_uri(), releases=result.releases, links=links)
        return Response(package)

    @staticmethod
    def _page_url(request, page: int) -> str:
        params = request.query_params.copy()
        params["page"] = str(page)
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


urlpatterns = [path("ocds/releases/", OcdsReleasesView.as_view(), name="api-ocds-releases")]
