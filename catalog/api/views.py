from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements.models import FrameworkAgreement, Lot
from catalog import services
from catalog.api.serializers import DraftInputSerializer, ListingCreateSerializer, ListingSerializer, hit_to_dict
from catalog.search.query import as_id
from catalog.selectors import can_see_drafts, categories_tree, listing_get, search_listings
from common.errors import ValidationFailed
from common.parsing import MAX_ROW_ID, read_integer


def _query_of(request) -> dict:
    return {key: values if len(values) > 1 else values[0] for key, values in request.query_params.lists()}


def _whole_param(request, key: str, default: int) -> int:
    """A page number or size; below 1 reads as 1 (the search also caps the page size)."""
    typed = request.query_params.get(key)
    number = read_integer(typed, field=key, low=-MAX_ROW_ID, high=MAX_ROW_ID, required=False)
    return max(1, default if number is None else number)


class CategoryTreeView(APIView):
    """The need taxonomy as a tree."""

    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(categories_tree())


def listing_response(request, listing, code=status.HTTP_200_OK):
    context = {"show_draft": can_see_drafts(user=request.user, listing=listing)}
    return Response(ListingSerializer(listing, context=context).data, status=code)


class ListingCollectionView(APIView):
    """GET: search published listings with facets. POST: a supplier creates a draft."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        parameters=[OpenApiParameter(name, str, required=False, description=text) for name, text in (
            ("q", "Keywords: all words; \"phrases\"; -exclusion; OR"), ("framework", "Framework id"), ("lot", "Lot id"),
            ("category", "Need category id (includes descendants)"), ("supplier", "Supplier organization id"),
            ("price_max", "Maximum unit price"), ("in_stock", "true to hide out-of-stock goods"),
            ("sort", "relevance, price, -price or newest"), ("page", "Page number"), ("page_size", "At most 100"))],
        responses=OpenApiTypes.OBJECT, operation_id="listings_list",
        description="Search published listings. Any attribute key (e.g. data_location) filters too; repeat a key "
                    "to OR values. Facets count each value with every other filter applied but its own.",
    )
    def get(self, request):
        query = _query_of(request)
        page = _whole_param(request, "page", 1)
        page_size = _whole_param(request, "page_size", 20)
        result = search_listings(user=request.user, query=query, page=page, page_size=page_size)

        def link(number):
            params = request.query_params.copy()
            params["page"] = str(number)
            return request.build_absolute_uri(request.path + "?" + params.urlencode())

        return Response({
            "count": result.count, "page": result.page, "pages": result.pages,
            "next": link(page + 1) if page < result.pages else None,
            "previous": link(page - 1) if page > 1 else None,
            "suggestion": result.suggestion,
            "results": [hit_to_dict(hit) for hit in result.results], "facets": result.facets,
        })

    @extend_schema(request=ListingCreateSerializer, responses={201: ListingSerializer})
    def post(self, request):
        serializer = ListingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        framework = get_object_or_404(FrameworkAgreement, pk=data.pop("framework"))
        lot = get_object_or_404(Lot, pk=data.pop("lot"))
        listing = services.listing_create(actor=request.user, framework=framework, lot=lot, data=data)
        return listing_response(request, listing, status.HTTP_201_CREATED)


class ListingDetailView(APIView):
    serializer_class = ListingSerializer
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(operation_id="listings_retrieve")
    def get(self, request, pk):
        return listing_response(request, listing_get(user=request.user, listing_id=pk))

    @extend_schema(request=DraftInputSerializer, responses=ListingSerializer)
    def patch(self, request, pk):
        listing = listing_get(user=request.user, listing_id=pk)
        serializer = DraftInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        listing = services.listing_update(actor=request.user, listing=listing, data=dict(serializer.validated_data))
        return listing_response(request, listing)


class ListingActionView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ListingSerializer
    action = ""

    def post(self, request, pk):
        listing = listing_get(user=request.user, listing_id=pk)
        if self.action == "submit":
            listing = services.listing_submit(actor=request.user, listing=listing)
        elif self.action == "publish":
            listing = services.listing_publish(actor=request.user, listing=listing)
        elif self.action == "reject":
            listing = services.listing_reject(actor=request.user, listing=listing, reason=str(request.data.get("reason", "")))
        elif self.action == "withdraw":
            listing = services.listing_withdraw(actor=request.user, listing=listing)
        elif self.action == "suspend":
            listing = services.listing_suspend(actor=request.user, listing=listing, reason=str(request.data.get("reason", "")))
        elif self.action == "reinstate":
            listing = services.listing_reinstate(actor=request.user, listing=listing)
        elif self.action == "stock":
            if "stock" not in request.data:
                raise ValidationFailed(_("Give the stock."), fields={"stock": [_("This is required.")]})
            listing = services.listing_set_stock(actor=request.user, listing=listing, stock=request.data.get("stock"))
        return listing_response(request, listing)


class ListingImportView(APIView):
    """POST a CSV (multipart ``file`` or ``text``) for a framework: all rows become drafts, or none."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        framework_id = as_id(data.get("framework") or "")
        if framework_id is None:
            raise ValidationFailed(_("Choose the framework to import into."),
                                   fields={"framework": [_("Give the framework's id.")]})
        framework = get_object_or_404(FrameworkAgreement, pk=framework_id)
        upload = request.FILES.get("file")
        created = services.listings_import_csv(
            actor=request.user, framework=framework, file=upload if upload else str(data.get("text") or "")
        )
        return Response({"created": [listing.pk for listing in created]}, status=status.HTTP_201_CREATED)
