from django.urls import path

from marketplace.oversight import views

app_name = "oversight"

urlpatterns = [
    path("selections/", views.selection_log, name="log"),
    path("selections/export/", views.selection_log_export, name="log-export"),
    path("selections/<int:pk>/", views.selection_trail, name="trail"),
    path("selections/<int:pk>/check/", views.selection_trail_check, name="trail-check"),
    path("flags/", views.red_flags, name="flags"),
    path("flags/check/", views.red_flags_check_now, name="flags-check"),
]
