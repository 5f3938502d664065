"""What reads a finished run: the analyst's and operator's tools.

``runs`` opens a published output; ``explain``, ``sweep``, ``review``, ``diff`` and
``evaluate`` answer questions about it; ``report`` and ``charts`` draw it; ``bench`` times
the pipeline against a peer. Nothing in the stages or the pipeline imports these modules:
the pipeline writes ``report.html`` through the hook its caller passes in.
"""
