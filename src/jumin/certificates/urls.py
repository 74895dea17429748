from django.urls import path

from jumin.certificates import views

app_name = "certificates"

urlpatterns = [
    path("", views.menu, name="menu"),
    path("issue/", views.issue, name="issue"),
    path("verify/", views.verify, name="verify"),
    path("void/", views.void, name="void"),
]
