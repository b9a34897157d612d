"""The canonical tables, their fields, and the names those fields go by in common exports."""

from __future__ import annotations

from dataclasses import dataclass

# Field kinds: how a column's text is parsed once it is mapped (see cs_logic.read.parse.parse_as).
ID, TEXT, CATEGORY, DATE, NUMBER, BOOL, DURATION = "id", "text", "category", "date", "number", "bool", "duration"
# Scores are numbers with a range the validator checks.
NPS, CSAT, CES = "nps", "csat", "ces"
SCORE_RANGES: dict[str, tuple[int, int]] = {NPS: (0, 10), CSAT: (1, 5), CES: (1, 7)}


@dataclass(frozen=True)
class Field:
    """One canonical field.

    Parameters
    ----------
    name : canonical column name used by every metric (``account_id``).
    kind : how values are parsed (``id``, ``text``, ``category``, ``date``, ``number``, ``bool``,
        ``duration`` (hours), or a score kind ``nps`` / ``csat`` / ``ces``).
    label : what the app calls it.
    synonyms : headers it goes by in exports, written plainly; matching folds case, accents,
        underscores and camelCase, so ``CustomerID`` matches ``customer id``.
    keywords : single words that point to the field inside longer headers (a survey question
        used as a header: "How likely are you to recommend us to a friend?").
    """

    name: str
    kind: str
    label: str
    synonyms: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """One canonical table and what a file must have to be it.

    ``needs`` is a tuple of alternatives; each alternative is a tuple of field names that must all
    be mapped. A file is this table when at least one alternative is complete.
    """

    name: str
    label: str
    fields: tuple[Field, ...]
    needs: tuple[tuple[str, ...], ...]
    key: str | None = None
    date_field: str | None = None

    def field(self, name: str) -> Field:
        """The field called ``name`` (KeyError if the table has none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def _f(name: str, kind: str, label: str, synonyms: str = "", keywords: str = "") -> Field:
    return Field(
        name,
        kind,
        label,
        tuple(s.strip() for s in synonyms.split("|") if s.strip()),
        tuple(k.strip() for k in keywords.split("|") if k.strip()),
    )


_ACCOUNT_ID = (
    "account id|account|account number|account no|accountid|customer id|customer|customer number|"
    "client id|client|company id|organization id|organisation id|org id|tenant id|workspace id|"
    "crm id|salesforce id|hubspot company id|record id|company domain|domain|customer code|"
    "cliente id|id cliente|codigo cliente|id do cliente|شناسه مشتری|کد مشتری|номер клиента|ид клиента"
)

ACCOUNTS = Table(
    "accounts",
    "Accounts (CRM)",
    (
        _f("account_id", ID, "Account id", _ACCOUNT_ID + "|customerid|customer_id|id"),
        _f(
            "account_name",
            TEXT,
            "Account name",
            "account name|company name|company|customer name|client name|organization|organisation|"
            "org name|name|business name|surname|razao social|nome|نام شرکت|نام مشتری|название|компания",
        ),
        _f(
            "owner",
            CATEGORY,
            "Rep / owner",
            "owner|account owner|company owner|csm|customer success manager|account manager|am|rep|"
            "sales rep|sales agent|salesperson|assigned to|manager|owner name|responsavel|vendedor|"
            "مسئول|کارشناس|менеджер|ответственный",
            "owner|csm|rep|manager",
        ),
        _f(
            "segment",
            CATEGORY,
            "Segment",
            "segment|customer segment|tier|customer tier|size|company size|market segment|segmento|"
            "بخش|сегмент",
        ),
        _f(
            "plan",
            CATEGORY,
            "Plan",
            "plan|plan tier|plan name|subscription plan|product tier|package|edition|contract|"
            "contract type|license|licence|plano|طرح|тариф",
        ),
        _f("region", CATEGORY, "Region", "region|geography|geo|territory|country|state|customer state|office location|regiao|pais|منطقه|کشور|регион|страна"),
        _f("industry", CATEGORY, "Industry", "industry|sector|vertical|industria|setor|صنعت|отрасль"),
        _f(
            "start_date",
            DATE,
            "Start date",
            "start date|signup date|sign up date|created date|create date|customer since|since|"
            "join date|joined|onboarding date|contract start|contract start date|first purchase date|"
            "acquisition date|became a customer date|data inicio|تاریخ شروع|дата начала",
        ),
        _f(
            "end_date",
            DATE,
            "End (cancellation) date",
            "end date|churn date|cancellation date|cancel date|cancelled at|canceled at|churned at|"
            "termination date|contract end|contract end date|closed date|lost date|data cancelamento|"
            "تاریخ لغو|дата оттока",
        ),
        _f(
            "churned",
            BOOL,
            "Churned",
            "churn|churned|churn flag|is churned|has churned|exited|attrited|attrition|attrition flag|"
            "cancelled|canceled|lost|left|inactive|churn status|cancelou|ریزش|ушел|отток",
            "churn|churned|exited|attrition",
        ),
        _f("status", CATEGORY, "Status", "status|account status|customer status|lifecycle stage|lifecycle|state of account|situacao|وضعیت|статус"),
        _f(
            "revenue",
            NUMBER,
            "Revenue",
            "revenue|mrr|arr|monthly recurring revenue|annual recurring revenue|monthly charges|"
            "monthly fee|monthly revenue|annual revenue|contract value|acv|tcv|arr usd|mrr usd|"
            "subscription amount|amount|receita|mensalidade|درآمد|выручка",
            "mrr|arr|revenue",
        ),
        _f("seats", NUMBER, "Seats", "seats|licenses|licences|seat count|users purchased|licensed users|user count|number of users|assentos"),
        _f("employees", NUMBER, "Employees", "employees|employee count|number of employees|company size employees|headcount|funcionarios"),
        _f("tenure", NUMBER, "Tenure", "tenure|tenure months|months as customer|customer tenure|months active|lifetime months"),
        _f(
            "unique_customer_id",
            ID,
            "Same customer across ids",
            "customer unique id|unique customer id|person id|household id|master customer id|global customer id|parent account id|parent id",
        ),
    ),
    needs=(("account_id", "churned"), ("account_id", "account_name"), ("account_id", "revenue"),
           ("account_id", "owner"), ("account_id", "plan"), ("account_id", "start_date"),
           ("account_id", "segment"), ("account_id", "unique_customer_id"), ("account_id", "region")),
    key="account_id",
    date_field="start_date",
)

USAGE = Table(
    "usage",
    "Product usage",
    (
        _f("usage_id", ID, "Usage event id", "usage id|event id|session id|activity id"),
        _f("account_id", ID, "Account id", _ACCOUNT_ID),
        _f("subscription_id", ID, "Subscription id", "subscription id|subscription|sub id"),
        _f("user_id", ID, "User id", "user id|user|user email|email|contact id|member id|visitor id|distinct id"),
        _f("date", DATE, "Date", "date|تاریخ|usage date|event date|activity date|day|timestamp|event time|occurred at|login date|last seen|session date|data"),
        _f("feature", CATEGORY, "Feature", "feature|feature name|event|event name|event type|action|module|page|screen"),
        _f(
            "events",
            NUMBER,
            "Events",
            "events|event count|usage count|count|logins|login count|sessions|session count|actions|"
            "api calls|active users|usage|activity count|page views|clicks",
        ),
        _f("duration_seconds", DURATION, "Duration", "duration|usage duration|usage duration secs|session duration|time spent|minutes used|seconds"),
    ),
    needs=(("account_id", "date", "events"), ("subscription_id", "date", "events"), ("usage_id", "date"),
           ("account_id", "date", "feature"), ("subscription_id", "date", "feature"), ("user_id", "date", "events")),
    date_field="date",
)

TICKETS = Table(
    "tickets",
    "Helpdesk tickets",
    (
        _f("ticket_id", ID, "Ticket id", "ticket id|ticket|ticket number|case id|case number|case|issue id|conversation id|call id|call|interaction id|incident id|request id"),
        _f("account_id", ID, "Account id", _ACCOUNT_ID + "|organization id|requester organization"),
        _f("created_at", DATE, "Created", "created at|created|created date|create date|creation date|created time|creation time|تاریخ|opened|opened at|open date|submitted at|submitted|date opened|date|ticket date|received at|call date|start time"),
        _f("first_response_at", DATE, "First response at", "first response at|first replied at|first reply at|first response date|first response time|responded at"),
        _f("resolved_at", DATE, "Resolved at", "resolved at|solved at|resolved time|solved time|closed at|closed time|closed|resolution date|date closed|closed date|close date|time to resolution|completed at"),
        _f(
            "first_response_hours",
            DURATION,
            "First response (hours)",
            "first response hours|first response time hours|first response time minutes|first reply time|"
            "first reply time minutes|first response minutes|speed of answer|speed of answer in seconds|"
            "time to first response|response time|frt|asa|average speed of answer|wait time|time to answer|"
            "answer time|queue time|waiting time|first response time in hrs|first reply time in minutes",
        ),
        _f(
            "resolution_hours",
            DURATION,
            "Resolution (hours)",
            "resolution hours|resolution time|resolution time hours|full resolution time|time to resolve|"
            "resolution time in hrs|full resolution time in minutes|time to resolution hours",
        ),
        # A call's talk, handle or wrap-up time is how long an agent spent, not how long the customer waited for
        # a fix: never a resolution time (METRICS.md: Support).
        _f(
            "handle_hours",
            DURATION,
            "Handle / talk time (hours)",
            "handle time|handling time|average handle time|avg handle time|aht|talk time|avg talk duration|"
            "talk duration|average talk time|wrap time|wrap up time|after call work|acw|hold time|call duration|"
            "duration|total time|time tracked",
        ),
        _f("status", CATEGORY, "Status", "status|ticket status|state|case status"),
        _f("priority", CATEGORY, "Priority", "priority|ticket priority|severity|urgency|case priority"),
        _f("channel", CATEGORY, "Channel", "channel|ticket channel|source|via|origin|contact channel|medium|case origin"),
        _f("agent", CATEGORY, "Agent", "agent|assignee|assigned to|agent name|owner|handled by|support agent|responder|case owner|atendente|کارشناس پشتیبانی", "agent|assignee"),
        _f("topic", CATEGORY, "Topic", "topic|category|ticket type|type|issue type|reason|tag|tags|subject category|queue|group"),
        _f("subject", TEXT, "Subject", "subject|ticket subject|title|summary|question|assunto|موضوع|тема"),
        _f("body", TEXT, "Description", "description|body|ticket description|message|details|content|text|comment|problem"),
        _f("csat", CSAT, "CSAT (1-5)", "csat|satisfaction|satisfaction rating|satisfaction score|customer satisfaction rating|rating|csat score|customer satisfaction", "satisfaction|satisfied|csat"),
        _f("answered", BOOL, "Answered", "answered|answered y n|is answered|call answered|picked up"),
        _f("resolved", BOOL, "Resolved", "resolved|is resolved|resolved y n|first contact resolution|fcr|solved"),
        _f("customer_email", TEXT, "Customer email", "customer email|requester email|email|requester|contact email"),
    ),
    needs=(("ticket_id", "created_at"), ("ticket_id", "priority"), ("ticket_id", "subject"), ("ticket_id", "agent"),
           ("ticket_id", "status"), ("created_at", "first_response_at"), ("created_at", "resolved_at"),
           ("ticket_id", "resolution_hours"), ("ticket_id", "first_response_hours")),
    key="ticket_id",
    date_field="created_at",
)

SURVEYS = Table(
    "surveys",
    "Survey answers (NPS, CSAT, CES)",
    (
        _f("response_id", ID, "Response id", "response id|respondent id|survey response id|submission id|review id|answer id|feedback id"),
        _f("account_id", ID, "Account id", _ACCOUNT_ID + "|respondent company"),
        _f("order_id", ID, "Order id", "order id|order|order number"),
        _f("date", DATE, "Date", "date|response date|submitted at|submitted|survey date|completed at|created at|timestamp|customer response date|review creation date|end date|recorded date|data|تاریخ|تاریخ پاسخ|fecha|datum|дата"),
        _f(
            "nps",
            NPS,
            "NPS answer (0-10)",
            "nps|nps score|nps answer|nps rating|likelihood to recommend|ltr|recommend|net promoter score|"
            "score|how likely are you to recommend us|nota nps|امتیاز nps|امتیاز|نمره",
            "recommend|nps|recomendaria|recomendar|recommander|empfehlen|рекомендовать|порекомендуете|توصیه|пасаветуеце",
        ),
        _f("csat", CSAT, "CSAT (1-5)", "csat|satisfaction|satisfaction rating|satisfaction score|review score|rating|score|stars|star rating|overall satisfaction|nota|avaliacao|رضایت|امتیاز|نمره|оценка", "satisfied|satisfaction|satisfeito|csat|رضایت|удовлетворены"),
        _f("ces", CES, "CES (1-7)", "ces|customer effort|customer effort score|effort|effort score|ease", "effort|easy"),
        _f("comment", TEXT, "Comment", "comment|comments|feedback|verbatim|text|review|review comment message|open text|response|reason|why|answer|message|free text|comentario|نظر|توضیحات|комментарий|отзыв", "why|reason|comment|feedback"),
        _f("comment_title", TEXT, "Comment title", "title|review title|review comment title|subject|headline"),
        _f("agent", CATEGORY, "Agent", "agent|assignee|handled by"),
        _f("channel", CATEGORY, "Channel", "channel|source|survey channel|medium"),
        _f("touchpoint", CATEGORY, "Touchpoint", "touchpoint|survey type|survey sub type|journey stage|journey|trigger|survey name|stage|event"),
    ),
    needs=(("nps",), ("csat",), ("ces",)),
    key="response_id",
    date_field="date",
)

ORDERS = Table(
    "orders",
    "Orders",
    (
        _f("order_id", ID, "Order id", "order id|order|order number|invoice id|invoice number|transaction id|purchase id|name|pedido"),
        _f("account_id", ID, "Customer id", _ACCOUNT_ID + "|buyer id|buyer|customer email|email"),
        _f("date", DATE, "Order date", "order date|date|تاریخ|purchase date|order purchase timestamp|created at|processed at|transaction date|invoice date|paid at|data pedido"),
        _f("amount", NUMBER, "Amount", "amount|total|order total|total price|sales|revenue|subtotal|order value|value|price|payment value|total amount|net sales|gross sales|valor"),
        _f("status", CATEGORY, "Status", "status|order status|financial status|fulfillment status|state"),
        _f("product", CATEGORY, "Product", "product|product name|item|sku|lineitem name|product id"),
        _f("quantity", NUMBER, "Quantity", "quantity|qty|units|lineitem quantity|items"),
    ),
    needs=(("order_id", "date"), ("order_id", "account_id"), ("account_id", "date", "amount")),
    key="order_id",
    date_field="date",
)

DEALS = Table(
    "deals",
    "Sales pipeline (deals)",
    (
        _f("deal_id", ID, "Deal id", "deal id|opportunity id|opportunity|deal|record id|opp id|deal name|opportunity name"),
        _f("account_id", ID, "Account", _ACCOUNT_ID + "|associated company|account name|company name"),
        _f("owner", CATEGORY, "Owner", "owner|deal owner|opportunity owner|sales agent|sales rep|rep|salesperson|assigned to|vendedor"),
        _f("product", CATEGORY, "Product", "product|product name|line item|item|plan"),
        _f("stage", CATEGORY, "Stage", "stage|deal stage|opportunity stage|pipeline stage|sales stage|etapa|estagio|مرحله|стадия"),
        # The outcome (won / lost / open) when the export has it apart from the stage (Pipedrive's Status).
        _f("status", CATEGORY, "Outcome (won / lost / open)", "status|deal status|opportunity status|outcome|"
           "deal outcome|result|won lost|situacao|estado|وضعیت|статус"),
        # Won / Closed checkboxes (Salesforce's IsWon, IsClosed): the outcome when there is no status column.
        _f("won", BOOL, "Won (flag)", "won|is won|won flag|deal won|closed won flag"),
        _f("closed", BOOL, "Closed (flag)", "closed|is closed|closed flag|deal closed"),
        _f("created_date", DATE, "Created", "created date|create date|created|created at|engage date|open date|opened|date entered pipeline"),
        _f("close_date", DATE, "Close date", "close date|closed date|closed at|expected close date|closing date|won date"),
        _f("amount", NUMBER, "Amount", "amount|deal amount|close value|value|opportunity amount|expected revenue|deal value|acv|arr|valor"),
        _f("probability", NUMBER, "Probability", "probability|deal probability|win probability|probability percent|forecast probability"),
        _f("segment", CATEGORY, "Segment", "segment|deal type|type|market segment|business type"),
    ),
    needs=(("stage", "deal_id"), ("stage", "amount"), ("stage", "owner"), ("status", "deal_id"), ("status", "amount")),
    key="deal_id",
    date_field="created_date",
)

SUBSCRIPTIONS = Table(
    "subscriptions",
    "Subscriptions (MRR history)",
    (
        _f("subscription_id", ID, "Subscription id", "subscription id|subscription|sub id|contract id|agreement id"),
        _f("account_id", ID, "Account id", _ACCOUNT_ID),
        _f("start_date", DATE, "Start date", "start date|started at|subscription start|period start|current period start|activated at|contract start"),
        _f("end_date", DATE, "End date", "end date|ended at|cancelled at|canceled at|subscription end|period end|current period end|contract end|expires at"),
        _f("plan", CATEGORY, "Plan", "plan|plan tier|plan name|product|tier|package"),
        _f("mrr", NUMBER, "MRR", "mrr|mrr amount|monthly recurring revenue|monthly amount|monthly price|monthly value", "mrr"),
        _f("arr", NUMBER, "ARR", "arr|arr amount|annual recurring revenue|annual amount|annual value", "arr"),
        _f("seats", NUMBER, "Seats", "seats|quantity|licenses|licences|users"),
        _f("churned", BOOL, "Churned", "churn|churned|churn flag|cancelled|canceled|is cancelled"),
        _f("status", CATEGORY, "Status", "status|subscription status|state"),
    ),
    needs=(("subscription_id", "mrr"), ("subscription_id", "arr"), ("account_id", "start_date", "mrr"), ("subscription_id", "start_date")),
    key="subscription_id",
    date_field="start_date",
)

CHURN_EVENTS = Table(
    "churn_events",
    "Churn events",
    (
        _f("churn_event_id", ID, "Churn event id", "churn event id|cancellation id|churn id"),
        _f("account_id", ID, "Account id", _ACCOUNT_ID),
        _f("date", DATE, "Churn date", "churn date|cancellation date|cancel date|date|churned at|cancelled at|canceled at"),
        _f("reason", CATEGORY, "Reason", "reason|reason code|churn reason|cancellation reason|cancel reason|motivo|دلیل"),
        _f("comment", TEXT, "Comment", "feedback|feedback text|comment|comments|notes|verbatim"),
        _f("reactivation", BOOL, "Reactivation", "is reactivation|reactivation|reactivated|winback|win back"),
        _f("refund", NUMBER, "Refund", "refund|refund amount|refund amount usd|credit"),
    ),
    needs=(("churn_event_id",), ("account_id", "date", "reason")),
    key="churn_event_id",
    date_field="date",
)

TABLES: dict[str, Table] = {
    t.name: t for t in (ACCOUNTS, USAGE, TICKETS, SURVEYS, ORDERS, DEALS, SUBSCRIPTIONS, CHURN_EVENTS)
}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
UNKNOWN = "unknown"


def table(name: str) -> Table:
    """The canonical table called ``name``.

    >>> table("surveys").field("nps").kind
    'nps'
    """
    return TABLES[name]
