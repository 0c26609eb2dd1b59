from django.urls import path

from marketplace.orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/activate/", views.order_activate, name="activate"),
    path("<int:pk>/amend-cap/", views.order_amend_cap, name="amend-cap"),
    path("<int:pk>/terminate/", views.order_terminate, name="terminate"),
    path("<int:pk>/complete/", views.order_complete, name="complete"),
    path("<int:pk>/usage/upload/", views.order_upload_usage, name="upload-usage"),
    path("<int:pk>/statements/", views.order_generate_statement, name="generate-statement"),
    path("<int:pk>/statements/<str:month>.csv", views.order_statement_csv, name="statement-csv"),
]
