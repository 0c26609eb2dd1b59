from django.urls import path

from marketplace.competitions.api import views

urlpatterns = [
    path("competitions/", views.CompetitionListView.as_view(), name="api-competition-list"),
    path("competitions/<int:pk>/", views.CompetitionDetailView.as_view(), name="api-competition-detail"),
    path("competitions/<int:pk>/publish/", views.CompetitionPublishView.as_view(), name="api-competition-publish"),
    path("competitions/<int:pk>/questions/", views.CompetitionQuestionsView.as_view(), name="api-competition-questions"),
    path("competitions/<int:pk>/answers/", views.CompetitionAnswersView.as_view(), name="api-competition-answers"),
    path("competitions/<int:pk>/quotes/", views.CompetitionQuotesView.as_view(), name="api-competition-quotes"),
    path("competitions/<int:pk>/decline/", views.CompetitionDeclineView.as_view(), name="api-competition-decline"),
    path("competitions/<int:pk>/evaluate/", views.CompetitionEvaluateView.as_view(), name="api-competition-evaluate"),
    path("competitions/<int:pk>/award/", views.CompetitionAwardView.as_view(), name="api-competition-award"),
    path("competitions/<int:pk>/no-award/", views.CompetitionNoAwardView.as_view(), name="api-competition-no-award"),
    path("competitions/<int:pk>/cancel/", views.CompetitionCancelView.as_view(), name="api-competition-cancel"),
]
