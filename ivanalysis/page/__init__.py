"""What a scheme notebook calls: SchemePage and its sections (above the schemes, below the pipeline)."""
from .scheme_page import SchemePage

__all__ = ["SchemePage"]
