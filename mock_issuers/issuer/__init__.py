"""The core shared by every derived-credential issuer that uses the portal + QR + device flow:
the issuer interface and registry (`base`), card sign-in (`cardcheck`), sessions, enrollments
and their state machine, activation, the issuance pipeline, QR codes, key history, routes and
the app factory. Issuers themselves are modules beside this package (`entrust`, `intercede`).
"""
