"""Data preparation beside the pipeline.

``synth`` generates sample worlds with their truth; ``pseudonymize`` makes shareable copies
of real inputs. They use the stages; no stage uses them.
"""
