"""Real servers the integration tests start on loopback (see ``dovecot.py``)."""
