from django.urls import path

from data_rights import views

# Added to the namespace "accounts", mounted under /account/ (leakcase/urls.py): the same
# paths and names as when accounts served them.
account_urlpatterns = [
    path("export/", views.data_export, name="export"),
    path("erase/", views.account_erase, name="erase"),
]

# Added to the namespace "evidence", mounted under /cases/<reference>/ (leakcase/urls.py).
case_urlpatterns = [
    path("bundle/", views.case_bundle, name="bundle"),
]
