"""Reading template.yaml the way CloudFormation would, for the local stack and the tests.

The SAM template is translated to plain CloudFormation with AWS's own translator, so that
Globals, event sources, the HTTP API's routes and its authorizer come out exactly as they
would on AWS. Intrinsic functions are then resolved against the local resources.
"""

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_STACK_NAME = "webhook-fanout-local"

# Parameters whose local default differs from the template's, and why: the receivers a
# developer tests against live on this machine, which the private-target guard refuses.
LOCAL_PARAMETER_DEFAULTS = {"AllowPrivateTargets": "true"}

_CODE_LOCATION_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


class TemplateError(Exception):
    """The template cannot be read or uses something the local stack does not support."""


@dataclass
class StackTemplate:
    """The translated template, its parameter values, and where each function's code is."""

    resources: dict[str, dict[str, Any]]
    parameters: dict[str, str]
    conditions: dict[str, Any]
    code_paths: dict[str, Path]
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource["Type"] == resource_type
        }

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function replaced by its local result."""
        return _IntrinsicResolver(self).resolve(value)


def load_template(
    parameter_overrides: Mapping[str, str] | None = None,
    template_path: Path = TEMPLATE_PATH,
    local_defaults: Mapping[str, str] = LOCAL_PARAMETER_DEFAULTS,
) -> StackTemplate:
    sam_template = _decode(template_path)
    parameters = _parameter_values(sam_template, parameter_overrides or {}, local_defaults)
    code_paths = _replace_code_locations(sam_template, template_path.parent)
    translated = _translate(sam_template, parameters)
    return StackTemplate(
        resources=translated["Resources"],
        parameters=parameters,
        conditions=translated.get("Conditions", {}),
        code_paths=code_paths,
    )


def _decode(template_path: Path) -> dict[str, Any]:
    from cfnlint.decode import decode

    if not template_path.is_file():
        raise TemplateError(f"cannot read {template_path}: no such file")
    template, problems = decode(str(template_path))
    if problems or template is None:
        details = "; ".join(str(problem) for problem in problems)
        raise TemplateError(f"cannot read {template_path}: {details}")
    # The decoder returns its own dict and str subclasses; plain JSON types are easier
    # to copy and compare.
    return json.loads(json.dumps(template))  # type: ignore[no-any-return]


def _parameter_values(
    template: dict[str, Any], overrides: Mapping[str, str], local_defaults: Mapping[str, str]
) -> dict[str, str]:
    declared = template.get("Parameters", {})
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"unknown parameter(s): {', '.join(unknown)}")
    values: dict[str, str] = {}
    for name, declaration in declared.items():
        if name in overrides:
            value = str(overrides[name])
        elif name in local_defaults:
            value = local_defaults[name]
        elif "Default" in declaration:
            value = str(declaration["Default"])
        else:
            raise TemplateError(f"parameter {name} has no default; pass it as {name}=...")
        _check_parameter(name, declaration, value)
        values[name] = value
    return values


def _check_parameter(name: str, declaration: dict[str, Any], value: str) -> None:
    allowed = declaration.get("AllowedValues")
    if allowed is not None and value not in [str(option) for option in allowed]:
        raise TemplateError(f"parameter {name}={value} is not one of {allowed}")
    pattern = declaration.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise TemplateError(f"parameter {name}={value} does not match {pattern}")
    if declaration.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise TemplateError(f"parameter {name}={value} is not a number") from None
        if "MinValue" in declaration and number < float(declaration["MinValue"]):
            raise TemplateError(f"parameter {name}={value} is below {declaration['MinValue']}")
        if "MaxValue" in declaration and number > float(declaration["MaxValue"]):
            raise TemplateError(f"parameter {name}={value} is above {declaration['MaxValue']}")


def _replace_code_locations(template: dict[str, Any], base: Path) -> dict[str, Path]:
    """Point code locations at placeholder S3 objects, remembering the local folders.

    The translator insists on S3 locations, as `sam package` would leave them.
    """
    code_paths: dict[str, Path] = {}
    globals_function = template.get("Globals", {}).get("Function", {})
    for logical_id, resource in template.get("Resources", {}).items():
        property_name = _CODE_LOCATION_PROPERTIES.get(resource.get("Type"))
        if property_name is None:
            continue
        properties = resource.setdefault("Properties", {})
        location = properties.get(property_name, globals_function.get(property_name))
        if not isinstance(location, str):
            raise TemplateError(f"{logical_id}: {property_name} must be a local folder")
        code_paths[logical_id] = (base / location).resolve()
        properties[property_name] = f"s3://local-code/{logical_id}.zip"
    return code_paths


def _translate(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=LOCAL_REGION))
    try:
        translated = translator.translate(
            copy.deepcopy(template),
            parameter_values=dict(parameters),
            get_managed_policy_map=dict,
        )
    except InvalidDocumentException as error:
        details = "; ".join(str(cause) for cause in error.causes)
        raise TemplateError(f"the SAM translator refused the template: {details}") from None
    return translated  # type: ignore[no-any-return]


class _IntrinsicResolver:
    """Resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join and friends for one local stack."""

    def __init__(self, template: StackTemplate) -> None:
        self.template = template
        self.pseudo_parameters = {
            "AWS::Region": LOCAL_REGION,
            "AWS::AccountId": LOCAL_ACCOUNT_ID,
            "AWS::StackName": LOCAL_STACK_NAME,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}"
            f":stack/{LOCAL_STACK_NAME}/local",
        }
        self.functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::Not": self._not,
            "Fn::And": self._and,
            "Fn::Or": self._or,
            "Condition": self._condition,
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in map(self.resolve, value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name in self.functions:
                return self.functions[name](argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.pseudo_parameters:
            return self.pseudo_parameters[name]
        if name in self.template.parameters:
            return self._parameter(name)
        if name in self.template.physical_ids:
            return self.template.physical_ids[name]
        if name in self.template.resources:
            return f"{LOCAL_STACK_NAME}-{name}"
        raise TemplateError(f"Ref to unknown name {name}")

    def _parameter(self, name: str) -> Any:
        # List-typed parameters resolve to lists, as CloudFormation does.
        value = self.template.parameters[name]
        return value.split(",") if name.endswith("List") else value

    def _get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        logical_id, attribute = (self.resolve(part) for part in argument)
        key = (logical_id, attribute)
        if key in self.template.attributes:
            return self.template.attributes[key]
        if logical_id not in self.template.resources:
            raise TemplateError(f"Fn::GetAtt of unknown resource {logical_id}")
        if attribute == "Arn":
            return _placeholder_arn(self.template.resources[logical_id]["Type"], logical_id)
        return f"{LOCAL_STACK_NAME}-{logical_id}-{attribute}"

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self.resolve(argument[1])
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name:
                return str(self._get_att(name))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def _join(self, argument: list[Any]) -> str:
        separator, items = argument
        return str(separator).join(str(item) for item in self.resolve(items))

    def _select(self, argument: list[Any]) -> Any:
        index, items = self.resolve(argument)
        return items[int(index)]

    def _split(self, argument: list[Any]) -> list[str]:
        separator, text = self.resolve(argument)
        return str(text).split(separator)

    def _if(self, argument: list[Any]) -> Any:
        condition, when_true, when_false = argument
        return self.resolve(when_true if self._condition(condition) else when_false)

    def _condition(self, name: str) -> bool:
        if name not in self.template.conditions:
            raise TemplateError(f"unknown condition {name}")
        return bool(self.resolve(self.template.conditions[name]))

    def _equals(self, argument: list[Any]) -> bool:
        left, right = self.resolve(argument)
        return str(left) == str(right)

    def _not(self, argument: list[Any]) -> bool:
        return not self.resolve(argument[0])

    def _and(self, argument: list[Any]) -> bool:
        return all(self.resolve(argument))

    def _or(self, argument: list[Any]) -> bool:
        return any(self.resolve(argument))


_NO_VALUE = object()

_ARN_SERVICES = {
    "AWS::Lambda::Function": ("lambda", "function:"),
    "AWS::SQS::Queue": ("sqs", ""),
    "AWS::DynamoDB::Table": ("dynamodb", "table/"),
    "AWS::SNS::Topic": ("sns", ""),
    "AWS::IAM::Role": ("iam", "role/"),
}


def _placeholder_arn(resource_type: str, logical_id: str) -> str:
    service, prefix = _ARN_SERVICES.get(resource_type, ("local", ""))
    resource_name = f"{prefix}{LOCAL_STACK_NAME}-{logical_id}"
    return f"arn:aws:{service}:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:{resource_name}"
