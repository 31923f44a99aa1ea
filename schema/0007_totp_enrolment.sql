-- TOTP enrolment (admin/second_factor.hpp): a secret offered to the user's authenticator app,
-- sealed like totp_secret, waiting for the first code. Confirmation moves it to totp_secret; until
-- then an enabled factor stays the one sign-in checks.
ALTER TABLE users ADD COLUMN totp_pending BLOB;
