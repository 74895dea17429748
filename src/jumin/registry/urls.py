from django.urls import path

from jumin.registry import views

app_name = "registry"

urlpatterns = [
    path("", views.menu, name="menu"),
    path("lookup/", views.lookup, name="lookup"),
    path("search/", views.search, name="search"),
    path("move-in/", views.move_in, name="move_in"),
    path("drafts/", views.drafts, name="drafts"),
    path("drafts/<int:change_id>/", views.draft, name="draft"),
]
