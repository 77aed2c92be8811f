import ProbityCore

/// Mappings that ship with Probity, as text: the binary needs no resource files.
/// docs/formats.md describes each format.
public enum BundledMappings {
  /// The path bundled mappings are reported under in diagnostics.
  public static let canonicalPath = "<bundled>/probity-canonical.map"

  /// The bundled mapping of each format that is read through one, by the name
  /// `--input-format` gives it: `csv` (the canonical layout), `fec-bulk`, `uk-ec`,
  /// `uk-pef` and `xml` (the Probity XML filing format).
  public static let texts: [(format: String, text: String)] = [
    ("csv", canonicalText), ("fec-bulk", fecBulkText), ("uk-ec", ukECText),
    ("uk-pef", ukPEFText), ("xml", probityXMLText),
  ]

  /// The path a bundled mapping is reported under in diagnostics.
  public static func path(of format: String) -> String {
    format == "csv" ? canonicalPath : "<bundled>/\(format).map"
  }

  /// The mapping of Probity's canonical CSV layout (docs/formats.md, "The canonical CSV
  /// layout"): a header line, a `kind` column, and one column per canonical field named
  /// exactly like the field. Only kind, transaction_id, date and amount are required.
  public static let canonicalText = """
    # Probity mapping: the canonical CSV layout (docs/formats.md)
    [file]
    name = probity-canonical
    currency = USD
    header = yes
    delimiter = ","
    date-format = yyyy-mm-dd

    [kind]
    column = kind
    receipt = receipt
    disbursement = disbursement

    [fields]
    filer_id = column filer_id optional
    filer_name = column filer_name optional
    committee_type = column committee_type optional
    form_type = column form_type optional
    transaction_id = column transaction_id
    back_reference = column back_reference optional
    entity_type = column entity_type optional
    name = column name optional
    organization_name = column organization_name optional
    last_name = column last_name optional
    first_name = column first_name optional
    middle_name = column middle_name optional
    prefix = column prefix optional
    suffix = column suffix optional
    street1 = column street1 optional
    street2 = column street2 optional
    city = column city optional
    state = column state optional
    zip = column zip optional
    country = column country optional
    employer = column employer optional
    occupation = column occupation optional
    date = column date as date
    amount = column amount as money
    aggregate = column aggregate as money optional
    election_code = column election_code optional
    election_other_description = column election_other_description optional
    memo = column memo as flag X Y TRUE YES 1 optional
    memo_text = column memo_text optional
    payment_method = column payment_method as text lower optional
    purpose = column purpose optional
    donor_committee_id = column donor_committee_id optional
    donor_status = column donor_status optional
    received_date = column received_date as date optional
    accepted_date = column accepted_date as date optional
    accounting_unit = column accounting_unit optional
    donation_action = column donation_action optional
    donor_id = column donor_id optional
    report_form = column report_form optional
    amendment = column amendment as boolean optional
    amended_filing = column amended_filing optional
    report_type = column report_type optional
    report_period_start = column report_period_start as date optional
    report_period_end = column report_period_end as date optional
    donor_company_number = column donor_company_number optional
    donee_type = column donee_type optional
    aggregation = column aggregation as boolean optional
    reported_date = column reported_date as date optional
    sponsorship = column sponsorship as boolean optional

    """

  /// FEC bulk individual contributions (`itcont.txt`): 21 columns separated by `|`, no
  /// header, no quoting, MMDDYYYY dates, Latin-1. Every row is a contribution received
  /// by the committee in column 1. Column meanings from the FEC's data dictionary.
  public static let fecBulkText = """
    # Probity mapping: FEC bulk individual contributions, itcont.txt (docs/formats.md)
    [file]
    name = fec-bulk
    currency = USD
    header = no
    fields = 21
    delimiter = "|"
    quote = none
    encoding = latin-1
    date-format = mmddyyyy

    [kind]
    constant = receipt

    [fields]
    filer_id = column #1                        # CMTE_ID
    amendment = column #2 as flag A false N T   # AMNDT_IND: new, amendment, termination
    report_type = column #3                     # RPT_TP
    # #4 TRANSACTION_PGI (P, G, ... without a year), #5 IMAGE_NUM: not read
    # TRANSACTION_TP (15 a contribution, 15E earmarked, 22Y a refund, 24T passed on by a
    # conduit, 30-32 a national party's special accounts, ...): what the US pack's
    # definitions read in place of a .fec schedule line.
    form_type = column #6 optional
    entity_type = column #7                     # ENTITY_TP
    name = column #8                            # NAME, as "LAST, FIRST"
    city = column #9
    state = column #10
    zip = column #11
    employer = column #12
    occupation = column #13
    date = column #14                           # TRANSACTION_DT
    amount = column #15                         # TRANSACTION_AMT
    # #16 OTHER_ID (a donor or earmarking committee): not read
    transaction_id = column #17                 # TRAN_ID
    # #18 FILE_NUM: not read
    memo = column #19 as flag X optional        # MEMO_CD
    memo_text = column #20 optional             # MEMO_TEXT
    # #21 SUB_ID: not read

    """

  /// The Electoral Commission donations register export (search.electoralcommission.org.uk):
  /// UTF-8, a header line, money as "£50,000.00", dates as dd/mm/yyyy.
  public static let ukECText = """
    # Probity mapping: the Electoral Commission donations register export (docs/formats.md)
    [file]
    name = uk-ec
    currency = GBP
    header = yes
    delimiter = ","
    encoding = utf-8
    date-format = dd/mm/yyyy

    [kind]
    constant = receipt

    [fields]
    transaction_id = column ECRef
    filer_id = column RegulatedEntityId optional
    filer_name = column RegulatedEntityName
    committee_type = column RegulatedEntityType              # Political Party, Regulated Donee, ...
    donee_type = column RegulatedDoneeType optional          # MP - Member of Parliament, ...
    accounting_unit = column AccountingUnitName optional
    name = column DonorName
    donor_status = column DonorStatus                        # Individual, Company, Trade Union, ...
    donor_id = column DonorId optional
    donor_company_number = column CompanyRegistrationNumber optional
    zip = column Postcode optional
    # A zero is written "£-" (a spreadsheet's accounting format): read as £0.00.
    amount = column Value as money accounting
    # `date` is the accepted date: PPERA aggregates donations in order of acceptance, and
    # the register reports them by it.
    date = column AcceptedDate
    accepted_date = column AcceptedDate
    received_date = column ReceivedDate
    reported_date = column ReportedDate optional
    report_type = column ReportingPeriodName optional
    payment_method = column DonationType as text lower       # cash, non cash, visit, ...
    memo_text = column NatureOfDonation optional
    donation_action = column DonationAction optional         # Returned, Forfeited, Deferred
    aggregation = column IsAggregation as boolean optional
    sponsorship = column IsSponsorship as boolean optional
    # Not read: index, AccountingUnitsAsCentralParty, PurposeOfVisit,
    # IsReportedPrePoll, IsBequest, AccountingUnitId, CampaigningName, RegisterName,
    # IsIrishSource.

    """

  /// The older PEF export of the Electoral Commission's register: Windows-1252, other
  /// column names, money as "£20,000.00", dates as dd/mm/yyyy.
  public static let ukPEFText = """
    # Probity mapping: the Electoral Commission's older PEF donations export (docs/formats.md)
    [file]
    name = uk-pef
    currency = GBP
    header = yes
    delimiter = ","
    encoding = windows-1252
    date-format = dd/mm/yyyy

    [kind]
    constant = receipt

    [fields]
    transaction_id = column "EC reference"
    filer_name = column "Entity name"
    committee_type = column "Entity type"
    donee_type = column "Regulated donee type" optional
    accounting_unit = column "Rec'd by (AU)" optional
    name = column "Donor name"
    donor_status = column "Donor type"
    donor_company_number = column "Company reg. no." optional   # as filed, like ":3456018"
    zip = column Postcode optional
    payment_method = column "Type of donation" as text lower
    memo_text = column "Nature / Provision" optional
    donation_action = column "How dealt with" optional
    amount = column Value as money accounting
    date = column "Accepted date"
    accepted_date = column "Accepted date"
    received_date = column "Received date"
    reported_date = column "Reported date" optional
    # "Sponsorship" when the donation is one, blank when not.
    sponsorship = column "Is sponsorship" as flag Sponsorship optional
    # Not read: "Reported under 62:12", Purpose, "Compliance breach".

    """

  /// The Probity XML filing format (docs/probity-filing.xsd, docs/formats.md "XML
  /// filings"): `<filing>` with `<filer>` and `<report>` first, then `<receipt>` and
  /// `<disbursement>` records. Amounts in US dollars, dates yyyy-mm-dd.
  public static let probityXMLText = """
    # Probity mapping: the Probity XML filing format (docs/probity-filing.xsd)
    [file]
    name = probity-xml
    format = xml
    currency = USD
    date-format = yyyy-mm-dd

    [kind]
    receipt = /filing/receipt
    disbursement = /filing/disbursement

    [fields]
    # The filer and the report, before the records.
    filer_id = element /filing/filer/@id optional
    committee_type = element /filing/filer/@committee-type optional
    filer_name = element /filing/filer/name optional
    report_form = element /filing/report/@form optional
    amendment = element /filing/report/@amendment as boolean optional
    amended_filing = element /filing/report/@amends optional
    report_type = element /filing/report/@type optional
    report_period_start = element /filing/report/@period-start optional
    report_period_end = element /filing/report/@period-end optional
    # Each record.
    transaction_id = element @id
    form_type = element @form-type optional
    back_reference = element @back-reference optional
    memo = element @memo as flag true 1 false "false" 0 optional
    date = element date
    amount = element amount
    aggregate = element aggregate optional
    election_code = element election/@code optional
    election_other_description = element election/@description optional
    payment_method = element payment-method as text lower optional
    purpose = element purpose optional
    memo_text = element memo-text optional
    received_date = element received-date optional
    accepted_date = element accepted-date optional
    reported_date = element reported-date optional
    donation_action = element donation-action optional
    accounting_unit = element accounting-unit optional
    aggregation = element @aggregation as boolean optional
    sponsorship = element @sponsorship as boolean optional
    # The other party: the contributor of a receipt, the payee of a disbursement.
    entity_type = element party/@entity-type optional
    donor_id = element party/@id optional
    donor_committee_id = element party/@committee-id optional
    donor_status = element party/@status optional
    donee_type = element party/@donee-type optional
    donor_company_number = element party/@company-number optional
    name = element party/name optional
    organization_name = element party/organization-name optional
    prefix = element party/prefix optional
    first_name = element party/first-name optional
    middle_name = element party/middle-name optional
    last_name = element party/last-name optional
    suffix = element party/suffix optional
    street1 = element party/address/street1 optional
    street2 = element party/address/street2 optional
    city = element party/address/city optional
    state = element party/address/state optional
    zip = element party/address/zip optional
    country = element party/address/country optional
    employer = element party/employer optional
    occupation = element party/occupation optional

    """
}

extension Mapping {
  /// The bundled mapping of the canonical CSV layout, parsed from
  /// `BundledMappings.canonicalText`.
  public static let canonical: Mapping = bundled("csv", BundledMappings.canonicalText)
  /// The bundled mappings of FEC bulk files, the UK register exports and Probity XML.
  public static let fecBulk: Mapping = bundled("fec-bulk", BundledMappings.fecBulkText)
  public static let ukEC: Mapping = bundled("uk-ec", BundledMappings.ukECText)
  public static let ukPEF: Mapping = bundled("uk-pef", BundledMappings.ukPEFText)
  public static let probityXML: Mapping = bundled("xml", BundledMappings.probityXMLText)

  static func bundled(_ format: String, _ text: String) -> Mapping {
    let path = BundledMappings.path(of: format)
    if let mapping = parse(SourceFile(path: path, text: text)).mapping { return mapping }
    // Unreachable while the bundled texts parse clean (a test checks them). Were one ever
    // broken, every read would stop on this required column, never misread a file.
    return Mapping(
      name: "broken-bundled-mapping", path: path, currency: .usd, hasHeader: true,
      delimiter: UInt8(ascii: ","), dateFormat: .isoDate,
      kind: .column(
        KindColumn(
          column: .name("<the bundled \(format) mapping does not parse: please report this bug>"),
          receiptValues: ["receipt"], disbursementValues: [], skipValues: [])),
      fields: [])
  }
}
