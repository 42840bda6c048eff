"""The Powertools logger, tracer and metrics that every function shares.

Service name, log level and metrics namespace come from the POWERTOOLS_* variables that
the template sets in Globals.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
