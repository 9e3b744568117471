"""The project's own Rasa input channels (credentials.yml names them by module path).

Loading any of them installs channels/faults.py: the Rasa server is never silent when it cannot run
the assistant's actions, and answers once per turn.
"""
from channels import faults as _faults

_faults.install()
