from django.urls import path

from jumin.atena import views

app_name = "atena"

urlpatterns = [path("status/", views.status_view, name="status")]
