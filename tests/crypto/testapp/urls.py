"""The project's URLs plus the test-only view of the leak test."""

from django.urls import path

from jumin.settings.urls import urlpatterns as project_urlpatterns
from tests.crypto.testapp.views import handle_number, handle_number_undecorated

urlpatterns = [
    path("crypto-test/number/", handle_number, name="crypto-test-number"),
    path("crypto-test/undecorated/", handle_number_undecorated, name="crypto-test-undecorated"),
    *project_urlpatterns,
]
