"""**[extra]** The exceptions codecflow raises.

Every one is a :class:`CodecflowError` (itself a ``RuntimeError``), and also
the builtin exception the public API promises for its case (``ValueError``,
``TypeError``, ``IndexError``, ``FileNotFoundError``, ...), so both
``except codecflow.errors.CodecflowError`` and ``except ValueError`` work.
"""

# The classes and their list are _errors.py's, named once there.
from codecflow._errors import *  # noqa: F401,F403
from codecflow._errors import __all__  # noqa: F401
