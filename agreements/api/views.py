import django_filters
from rest_framework import generics
from rest_framework.permissions import AllowAny

from agreements.api.serializers import FrameworkSerializer
from agreements.models import FrameworkAgreement
from agreements.selectors import frameworks_visible_to


class FrameworkFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FrameworkAgreement.Status.choices)

    class Meta:
        model = FrameworkAgreement
        fields = ["status", "currency"]


class FrameworkListView(generics.ListAPIView):
    """Frameworks with their lots and ceiling prices. Public: frameworks are published terms."""

    permission_classes = [AllowAny]
    serializer_class = FrameworkSerializer
    filterset_class = FrameworkFilter

    def get_queryset(self):
        return frameworks_visible_to(user=self.request.user).order_by("reference")


class FrameworkDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = FrameworkSerializer

    def get_queryset(self):
        return frameworks_visible_to(user=self.request.user)
