"""As the official package does: its classes at the top."""
from .library import Infusionsoft
