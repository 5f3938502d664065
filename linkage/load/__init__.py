"""Load stage: read source files (CSV, Excel, Parquet) into raw batches of the data contract.

``read_source`` maps each file's headers onto canonical columns with a mapping file
(``load_mapping``), keeps every value as text, refuses legacy encodings and mojibake, and
streams batches conforming to ``linkage.schema.raw_schema``.
"""

from linkage.folding import fold
from linkage.load.encoding import detect_encoding
from linkage.load.mapping import SourceMapping, load_mapping
from linkage.load.readers import ReadStats, SourceReader, read_source

__all__ = [
    "ReadStats",
    "SourceMapping",
    "SourceReader",
    "detect_encoding",
    "fold",
    "load_mapping",
    "read_source",
]
