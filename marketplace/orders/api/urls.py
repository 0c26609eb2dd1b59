from django.urls import path

from marketplace.orders.api import views

urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="api-order-list"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="api-order-detail"),
    path("orders/<int:pk>/activate/", views.OrderActivateView.as_view(), name="api-order-activate"),
    path("orders/<int:pk>/amend-cap/", views.OrderAmendCapView.as_view(), name="api-order-amend-cap"),
    path("orders/<int:pk>/terminate/", views.OrderTerminateView.as_view(), name="api-order-terminate"),
    path("orders/<int:pk>/complete/", views.OrderCompleteView.as_view(), name="api-order-complete"),
    path("orders/<int:pk>/usage/", views.OrderUsageView.as_view(), name="api-order-usage"),
    path("orders/<int:pk>/usage/upload/", views.OrderUsageUploadView.as_view(), name="api-order-usage-upload"),
    path("orders/<int:pk>/statements/", views.OrderStatementsView.as_view(), name="api-order-statements"),
    path("orders/<int:pk>/statements/<str:month>.csv", views.OrderStatementCsvView.as_view(),
         name="api-order-statement-csv"),
]
