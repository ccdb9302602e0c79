"""Stream schemas, built with ``singer_sdk.typing``."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

CAMPAIGN_ID = th.Property(
    "campaign_id",
    th.IntegerType,
    required=True,
    description="Numeric ID of the workflow campaign.",
)
WORKFLOW_STATUS = th.Property(
    "workflow_status",
    th.StringType,
    description="C when the subscriber completed the workflow, P when pending.",
)

PARTICIPATION = th.PropertiesList(
    CAMPAIGN_ID,
    th.Property(
        "mobile_number", th.StringType, required=True, description="Subscriber's mobile number, as the API sends it."
    ),
    th.Property("subscriber_name", th.StringType, description="Subscriber's name; null when unknown."),
    th.Property("prompts", th.IntegerType, description="Number of prompts the subscriber answered."),
    th.Property("session_start_time", th.DateTimeType, required=True, description="When the session started (UTC)."),
    th.Property("prompt_text", th.StringType, description="Text of the last prompt answered; null when none."),
    WORKFLOW_STATUS,
).to_dict()

PARTICIPATION_SUMMARY = th.PropertiesList(
    CAMPAIGN_ID,
    th.Property("total_participants", th.IntegerType, description="Unique participants across all statuses, all time."),
    th.Property("complete_workflow", th.IntegerType, description="Participants who completed the workflow."),
    th.Property("incomplete_workflow", th.IntegerType, description="Participants who started but did not complete."),
    th.Property("extracted_at", th.DateTimeType, required=True, description="When this run read the totals (UTC)."),
).to_dict()

#: Detail Report columns present in every row, mapped to their property names.
DETAIL_FIXED_COLUMNS: dict[str, str] = {
    "SessionId": "session_id",
    "MobileNumber": "mobile_number",
    "SessionDateTime": "session_date_time",
    "WorkflowStatus": "workflow_status",
    "Name": "name",
    "Email": "email",
    "Custom1": "custom1",
    "Custom2": "custom2",
    "Custom3": "custom3",
    "Custom4": "custom4",
    "DOB": "dob",
}

DETAIL_FIXED_PROPERTIES = th.PropertiesList(
    CAMPAIGN_ID,
    th.Property("session_id", th.StringType, required=True, description="Unique session identifier."),
    th.Property("mobile_number", th.StringType, description="Subscriber's mobile number, as the API sends it."),
    th.Property("session_date_time", th.DateTimeType, required=True, description="When the session started (UTC)."),
    WORKFLOW_STATUS,
    th.Property("name", th.StringType, description="Subscriber name; null when empty."),
    th.Property("email", th.StringType, description="Subscriber email; null when empty."),
    th.Property("custom1", th.StringType, description="Custom subscriber attribute 1."),
    th.Property("custom2", th.StringType, description="Custom subscriber attribute 2."),
    th.Property("custom3", th.StringType, description="Custom subscriber attribute 3."),
    th.Property("custom4", th.StringType, description="Custom subscriber attribute 4."),
    th.Property("dob", th.StringType, description="Subscriber date of birth as sent; the API documents no format."),
)

#: Every property name that a prompt property must not take, lowercase.
DETAIL_FIXED_NAMES = tuple(DETAIL_FIXED_PROPERTIES.to_dict()["properties"])

PROMPT_ANSWER = th.ObjectType(
    th.Property("text", th.StringType, description="The subscriber's text reply; null when none."),
    th.Property("media", th.ArrayType(th.StringType), description="URLs of attached media."),
)


def prompt_property_schema(prompt_text: str) -> dict[str, t.Any]:
    """Return the schema of one prompt property, describing it by its prompt text."""
    schema = th.Property("prompt", PROMPT_ANSWER, nullable=True).to_dict()["prompt"]
    schema["description"] = prompt_text
    return schema


def detail_schema(prompt_columns: t.Mapping[str, str]) -> dict[str, t.Any]:
    """Return a Detail Report stream's schema for prompts named ``text -> property``."""
    schema = DETAIL_FIXED_PROPERTIES.to_dict()
    for prompt_text, property_name in prompt_columns.items():
        schema["properties"][property_name] = prompt_property_schema(prompt_text)
    return schema


def prompt_columns_from_schema(schema: t.Mapping[str, t.Any]) -> dict[str, str]:
    """Return the ``prompt text -> property`` map stored in a Detail Report schema.

    Prompt properties are the ones that are not fixed; each keeps its prompt text as
    its description, in report order.
    """
    columns: dict[str, str] = {}
    for property_name, property_schema in schema.get("properties", {}).items():
        if property_name in DETAIL_FIXED_NAMES:
            continue

        prompt_text = property_schema.get("description")
        if isinstance(prompt_text, str):
            columns[prompt_text] = property_name

    return columns


RESPONSES = th.PropertiesList(
    CAMPAIGN_ID,
    th.Property("session_id", th.StringType, required=True, description="Unique session identifier."),
    th.Property("mobile_number", th.StringType, description="Subscriber's mobile number, as the API sends it."),
    th.Property("session_date_time", th.DateTimeType, required=True, description="When the session started (UTC)."),
    th.Property(
        "prompt_column",
        th.StringType,
        required=True,
        description="The prompt's property name in the campaign's detail stream.",
    ),
    th.Property("prompt", th.StringType, description="The prompt's text, as the Detail Report names its column."),
    th.Property("text", th.StringType, description="The subscriber's text reply; null when none."),
    th.Property("media", th.ArrayType(th.StringType), description="URLs of attached media."),
).to_dict()

PROMPTS = th.PropertiesList(
    CAMPAIGN_ID,
    th.Property(
        "prompt_column",
        th.StringType,
        required=True,
        description="The prompt's property name in the campaign's detail stream.",
    ),
    th.Property("prompt", th.StringType, required=True, description="The prompt's text."),
    th.Property("position", th.IntegerType, description="1-based order of the prompt in the Detail Report."),
).to_dict()
