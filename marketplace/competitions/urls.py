"""Competition pages (request for quotation), mounted under /competitions/."""

from django.urls import path

from marketplace.competitions import views

app_name = "competitions"

urlpatterns = [
    path("", views.competition_list, name="list"),
    path("new/", views.competition_create, name="create"),
    path("<int:pk>/", views.competition_detail, name="detail"),
    path("<int:pk>/publish/", views.competition_publish, name="publish"),
    path("<int:pk>/questions/", views.question_ask, name="ask"),
    path("<int:pk>/questions/<int:question_id>/answer/", views.question_answer, name="answer"),
    path("<int:pk>/quote/", views.quote_form, name="quote"),
    path("<int:pk>/decline/", views.quote_decline, name="decline"),
    path("<int:pk>/evaluate/", views.competition_evaluate, name="evaluate"),
    path("<int:pk>/award/", views.competition_award, name="award"),
    path("<int:pk>/no-award/", views.competition_no_award, name="no-award"),
    path("<int:pk>/cancel/", views.competition_cancel, name="cancel"),
]
