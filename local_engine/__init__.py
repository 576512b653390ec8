"""The local engine: moto in server mode running the real ASL file, plus a Lambda runtime of
our own that runs the real handlers in separate processes, as Lambda would."""
