from django.urls import path

from marketplace.oversight.api import views

urlpatterns = [
    path("oversight/selections/", views.SelectionLogView.as_view(), name="api-oversight-selections"),
    path("oversight/selections/export/", views.SelectionLogExportView.as_view(), name="api-oversight-selections-export"),
    path("oversight/selections/<int:pk>/", views.SelectionTrailView.as_view(), name="api-oversight-trail"),
    path("oversight/selections/<int:pk>/check/", views.SelectionTrailCheckView.as_view(),
         name="api-oversight-trail-check"),
    path("oversight/flags/", views.RedFlagListView.as_view(), name="api-oversight-flags"),
]
