from django.urls import path

from jumin.registry import views, views_events, views_household

app_name = "registry"

urlpatterns = [
    path("", views.menu, name="menu"),
    path("lookup/", views.lookup, name="lookup"),
    path("search/", views.search, name="search"),
    path("move-in/", views.move_in, name="move_in"),
    path("move-out/", views_events.move_out_view, name="move_out"),
    path("death/", views_events.death_view, name="death"),
    path("birth/", views_events.birth_view, name="birth"),
    path("move-within/", views_household.move_within, name="move_within"),
    path("household-change/", views_household.household_change, name="household_change"),
    path("drafts/", views.drafts, name="drafts"),
    path("drafts/<int:change_id>/", views.draft, name="draft"),
]
