"""Every model of every context, in dependency order: what migrations must produce and tests create."""

from app.core.models import MODELS as CORE_MODELS

MODELS = [*CORE_MODELS]
