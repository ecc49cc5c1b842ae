"""`signalseq import accounts|contacts`: good rows in, bad rows reported and kept, idempotent."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from signalseq.crm.models import Account, Contact
from signalseq.deadletters.models import DeadLetter

ACCOUNTS = (
    "domain,name,tier,industry,employees,country,timezone\n"
    "https://www.northwind.io/about,Northwind Analytics Inc.,1,Software,240,US,America/Chicago\n"
    "brightforge.de,Brightforge GmbH,2,Manufacturing,1200,Germany,\n"
    "not a domain,Broken Co,2,Software,10,US,\n"
    "quillstack.co.uk,Quillstack Ltd,five,Software,80,UK,\n"
    'tidal.in,Tidal Pvt Ltd,3,Fintech,"1,500",India,\n'
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_rows_are_reported_by_line_and_kept_good_rows_imported(tmp_path, run_cli, store):
    path = _write(tmp_path, "accounts.csv", ACCOUNTS)
    result = run_cli("import", "accounts", path)
    assert result.exit_code == 0, result.output
    assert "5 rows — 3 created, 0 updated, 0 unchanged, 2 rejected" in result.stdout
    assert result.stderr.splitlines() == [
        f"{path}:4 domain: not a domain or URL: 'not a domain'",
        f"{path}:5 tier: expected a whole number, got 'five'",
    ]
    accounts = json.loads(run_cli("accounts", "list", "--json").stdout)
    by_domain = {a["domain"]: a for a in accounts}
    assert sorted(by_domain) == ["brightforge.de", "northwind.io", "tidal.in"]
    assert by_domain["brightforge.de"]["country"] == "DE"
    assert by_domain["brightforge.de"]["timezone"] == "Europe/Berlin", "derived: DE is unambiguous"
    assert by_domain["northwind.io"]["timezone"] == "America/Chicago", "explicit column wins"
    assert by_domain["tidal.in"]["employees"] == 1500
    letters = json.loads(run_cli("deadletters", "list", "--json").stdout)
    assert [(d["source"], d["location"]) for d in letters] == [
        ("import:accounts", "accounts.csv:4"),
        ("import:accounts", "accounts.csv:5"),
    ]
    assert letters[1]["reason"] == "tier: expected a whole number, got 'five'"
    assert "quillstack.co.uk" in letters[1]["raw"]


def test_second_import_of_the_same_file_changes_nothing(tmp_path, run_cli, store):
    path = _write(tmp_path, "accounts.csv", ACCOUNTS)
    run_cli("import", "accounts", path)
    before = run_cli("accounts", "list", "--json").stdout
    letters_before = run_cli("deadletters", "list", "--json").stdout
    result = run_cli("import", "accounts", path, "--json")
    report = json.loads(result.stdout)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 3)
    assert len(report["rejected"]) == 2
    assert run_cli("accounts", "list", "--json").stdout == before
    assert run_cli("deadletters", "list", "--json").stdout == letters_before


def test_a_changed_row_updates_only_that_account(tmp_path, run_cli):
    path = _write(tmp_path, "accounts.csv", ACCOUNTS)
    run_cli("import", "accounts", path)
    _write(tmp_path, "accounts.csv", ACCOUNTS.replace("Brightforge GmbH,2", "Brightforge GmbH,1"))
    report = json.loads(run_cli("import", "accounts", path, "--json").stdout)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 2)
    tiers = {
        a["domain"]: a["tier"] for a in json.loads(run_cli("accounts", "list", "--json").stdout)
    }
    assert tiers["brightforge.de"] == 1


def test_hubspot_company_and_contact_exports(tmp_path, run_cli):
    companies = _write(
        tmp_path,
        "hubspot-companies.csv",
        (
            "Record ID,Company name,Company Domain Name,Industry,Number of Employees,"
            "Country/Region,Lifecycle Stage,Company owner,ICP fit\n"
            "9001,Lumenloop Health,lumenloophealth.com,Hospital & Health Care,350,United States,"
            "customer,alex@example.com,high\n"
            "9002,Cedar Pay,cedarpay.co.uk,Financial Services,60,United Kingdom,lead,,medium\n"
        ),
    )
    contacts = _write(
        tmp_path,
        "hubspot-contacts.csv",
        (
            "Record ID,First Name,Last Name,Email,Job Title,Company Name,Phone Number,Country/Region\n"
            "501,Grace,Okafor,Grace.Okafor@LumenloopHealth.com,SVP Eng,Lumenloop Health,"
            "+1 (415) 555-0134,United States\n"
            "502,Callum,Walsh,callum@gmail.com,Head of Growth,Cedar Pay,,UK\n"
        ),
    )
    assert run_cli("import", "accounts", companies).exit_code == 0
    assert run_cli("import", "contacts", contacts, "--strict").exit_code == 0
    accounts = {a["domain"]: a for a in json.loads(run_cli("accounts", "list", "--json").stdout)}
    assert accounts["lumenloophealth.com"]["is_customer"] is True
    assert accounts["cedarpay.co.uk"]["is_customer"] is False
    assert accounts["lumenloophealth.com"]["crm_id"] == "9001"
    assert accounts["lumenloophealth.com"]["attributes"] == {"icp_fit": "high"}
    people = {c["email"]: c for c in json.loads(run_cli("contacts", "list", "--json").stdout)}
    grace = people["grace.okafor@lumenloophealth.com"]
    assert (grace["seniority"], grace["department"]) == ("vp", "engineering")
    assert grace["account_domain"] == "lumenloophealth.com", "linked by the e-mail's domain"
    assert grace["phone"] == "+14155550134"
    callum = people["callum@gmail.com"]
    assert callum["account_domain"] == "cedarpay.co.uk", "free mail: linked by company name"
    assert callum["timezone"] == "Europe/London"


def test_salesforce_exports(tmp_path, run_cli):
    accounts = _write(
        tmp_path,
        "sf-accounts.csv",
        (
            "Account ID,Account Name,Website,Type,Employees,Billing Country,Account Owner\n"
            "001A,Harbor Freight Labs,http://harborfreightlabs.com,Customer - Direct,900,USA,Sam\n"
            "001B,Ember Data,www.emberdata.fr,Prospect,40,France,Riley\n"
        ),
    )
    contacts = _write(
        tmp_path,
        "sf-contacts.csv",
        (
            "Contact ID;First Name;Last Name;Title;Account Name;Email;Mailing Country\n"
            "003X;Chloé;Moreau;Vice President, Sales;Ember Data;chloe.moreau@emberdata.fr;France\n"
        ),
    )
    assert run_cli("import", "accounts", accounts, "--strict").exit_code == 0
    assert run_cli("import", "contacts", contacts, "--strict").exit_code == 0
    listed = {a["domain"]: a for a in json.loads(run_cli("accounts", "list", "--json").stdout)}
    assert listed["harborfreightlabs.com"]["is_customer"] is True
    assert listed["emberdata.fr"]["timezone"] == "Europe/Paris"
    (chloe,) = json.loads(run_cli("contacts", "list", "--json").stdout)
    assert (chloe["seniority"], chloe["department"], chloe["account_domain"]) == (
        "vp",
        "sales",
        "emberdata.fr",
    )


def test_duplicate_rows_within_a_file_are_rejected_not_applied_twice(tmp_path, run_cli, store):
    path = _write(
        tmp_path,
        "contacts.csv",
        (
            "email,first_name,last_name,title\n"
            "ana@acme.io,Ana,Lopez,CEO\n"
            "ANA@acme.io,Ana,Lopez,Chief Executive Officer\n"
            "bad-address,Bob,Stone,CTO\n"
        ),
    )
    result = run_cli("import", "contacts", path, "--strict")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{path}:3 row: same contact as line 2"
    assert result.stderr.splitlines()[1].startswith(f"{path}:4 email: not a valid e-mail address")
    with store.database.unit_of_work() as session:
        assert session.scalar(select(func.count(Contact.id))) == 1
        assert session.scalar(select(func.count(DeadLetter.id))) == 2


def test_file_without_any_key_column_is_refused_before_writing(tmp_path, run_cli, store):
    path = _write(tmp_path, "accounts.csv", "company,city\nAcme,Paris\n")
    result = run_cli("import", "accounts", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"signalseq: {path}:1 header: no 'domain' or 'crmid' column (found: company, city)"
    )
    with store.database.unit_of_work() as session:
        assert session.scalar(select(func.count(Account.id))) == 0


def test_missing_file_is_one_line(tmp_path, run_cli):
    result = run_cli("import", "contacts", tmp_path / "nope.csv")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"signalseq: {tmp_path / 'nope.csv'}: no such file"


def test_a_line_break_in_a_name_is_refused_at_its_line(tmp_path, run_cli):
    path = tmp_path / "contacts.csv"
    path.write_text(
        "email,first_name,last_name,title\n"
        "ok@acme.example,Ok,Person,CEO\n"
        'bad@acme.example,"Ana\r\nBcc: victim@example.com",Bad,CTO\n',
        newline="",
    )
    result = run_cli("import", "contacts", path)
    assert result.exit_code == 0, result.output
    assert f"{path}:3 first_name: contains a line break or control character" in result.stderr
    listed = run_cli("contacts", "list", "--json").stdout
    assert "bad@acme.example" not in listed and "ok@acme.example" in listed
