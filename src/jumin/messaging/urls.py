from django.urls import path

from jumin.messaging import views

app_name = "messaging"

urlpatterns = [
    path("monitor/", views.monitor, name="monitor"),
    path("monitor/resolve/", views.resolve, name="resolve"),
]
