"""``prompts/sender.yaml``: who is writing — the only source of claims about us.

Every number and name a draft says about our side must come from here (proof points,
case studies), so the grounding check can tell a real claim from an invented one.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from signalseq.drafting.personas import PERSONAS
from signalseq.normalize.domains import normalize_domain, normalize_domains
from signalseq.workspace.schema import WorkspaceModel

DEFAULT_BANNED = (
    "just checking in",
    "circling back",
    "hope this finds you well",
    "hope you are well",
    "hope you're well",
    "touching base",
    "touch base",
    "just following up",
    "per my last email",
    "quick question",
    "i wanted to reach out",
    "synergy",
    "game-changer",
    "game changer",
    "revolutionary",
    "best-in-class",
    "guaranteed",
    "act now",
    "don't miss out",
)


class ValueProposition(WorkspaceModel):
    text: str = Field(min_length=10, max_length=300, description="citable as written")
    personas: list[str] = Field(
        default_factory=list,
        description="who it speaks to (sales, revops, marketing, data, people, security, "
        "product, engineering, success, finance, operations, executive); empty: everyone",
    )

    @field_validator("personas")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PERSONAS))
        if unknown:
            raise ValueError(f"unknown persona {unknown[0]!r}; use one of {', '.join(PERSONAS)}")
        return value


class ProofPoint(WorkspaceModel):
    claim: str = Field(min_length=10, max_length=300, description="citable as written")
    customer: str | None = None


class CaseStudy(WorkspaceModel):
    customer: str
    industry: str | None = None
    result: str = Field(min_length=10, max_length=300)
    url: str | None = None


class Person(WorkspaceModel):
    name: str = Field(min_length=2, max_length=120)
    title: str | None = None
    email: str | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


class SenderProfile(WorkspaceModel):
    company: str = Field(min_length=1, max_length=200)
    website: str | None = None
    product: str = Field(min_length=3, max_length=300, description="what we sell, in a line")
    sender: Person
    value_propositions: list[ValueProposition] = Field(
        min_length=1, description="a line each, or {text, personas} to say whom it speaks to"
    )
    proof_points: list[ProofPoint] = Field(default_factory=list)
    case_studies: list[CaseStudy] = Field(default_factory=list)
    call_to_action: str = Field(
        default="Worth a short call next week?", description="the default ask"
    )
    signature: str | None = Field(default=None, description="sign-off lines")
    postal_address: str | None = Field(
        default=None,
        min_length=10,
        max_length=300,
        description="printed in every email's footer; email is not sent without it",
    )
    banned_phrases: list[str] = Field(default_factory=list)
    allowed_links: list[str] = Field(
        default_factory=list, description="domains a draft may link to (our website is allowed)"
    )
    language: str = Field(
        default="en", pattern=r"^[a-z]{2}$", description="the language drafts are written in"
    )
    languages: dict[str, str] = Field(
        default_factory=dict,
        description="another language for contacts in a country (ISO code → language), "
        "e.g. {DE: de}; a contact's own `language` or `locale` attribute wins",
    )

    @field_validator("value_propositions", mode="before")
    @classmethod
    def _propositions(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"text": v} if isinstance(v, str) else v for v in value]
        return value

    def as_context(self) -> dict[str, object]:
        """What prompts and drafters see: value propositions as lines (as templates
        print them), their personas alongside."""
        data = self.model_dump()
        data["value_propositions"] = [v.text for v in self.value_propositions]
        data["value_personas"] = [v.personas for v in self.value_propositions]
        data["first_name"] = self.sender.first_name
        return data

    @field_validator("banned_phrases")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [phrase.strip().lower() for phrase in value if phrase.strip()]

    @field_validator("allowed_links")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        return normalize_domains(value)

    @field_validator("languages")
    @classmethod
    def _codes(cls, value: dict[str, str]) -> dict[str, str]:
        for country, lang in value.items():
            if len(country) != 2 or len(lang) != 2 or not lang.isalpha():
                raise ValueError(f"{country}: {lang}: use a country code and a 2-letter language")
        return {country.upper(): lang.lower() for country, lang in value.items()}

    def language_for(self, country: str | None, attributes: dict[str, object]) -> str:
        """What a contact is written to in: their own language or locale (from the CRM),
        else their country's configured language, else the profile's."""
        own = attributes.get("language") or attributes.get("locale")
        if isinstance(own, str) and len(own) >= 2 and own[:2].isalpha():
            return own[:2].lower()
        return self.languages.get((country or "").upper(), self.language)

    @property
    def banned(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*DEFAULT_BANNED, *self.banned_phrases)))

    @property
    def link_domains(self) -> tuple[str, ...]:
        own = normalize_domain(self.website) if self.website else None
        return tuple(dict.fromkeys([*([own] if own else []), *self.allowed_links]))

    @property
    def sign_off(self) -> str:
        return self.signature or f"Best,\n{self.sender.first_name}"
