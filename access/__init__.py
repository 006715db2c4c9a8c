"""Who may do what: the one place that answers "may this user do this".

A plain package, not a Django app: it has no models, templates, migrations or commands, so
there is nothing for the app registry to find, and leaving it out of INSTALLED_APPS keeps it
from ever growing models of its own. It reads the models of accounts, cases, evidence and
takedowns, so it sits above them in the layer order, and below every views module (and
casework.pages), which are its only callers.
"""
