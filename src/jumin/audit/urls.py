from django.urls import path

from jumin.audit import views

app_name = "audit"

urlpatterns = [
    path("review/", views.daily_review, name="review"),
    path("holders/", views.permission_holders, name="holders"),
]
