import ProbityCore

/// Mappings that ship with Probity.
public enum BundledMappings {
  /// The path bundled mappings are reported under in diagnostics.
  public static let canonicalPath = "<bundled>/probity-canonical.map"

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
    report_type = column report_type optional
    report_period_start = column report_period_start as date optional
    report_period_end = column report_period_end as date optional
    donor_company_number = column donor_company_number optional
    donee_type = column donee_type optional
    aggregation = column aggregation as boolean optional
    reported_date = column reported_date as date optional

    """
}

extension Mapping {
  /// The bundled mapping of the canonical CSV layout, parsed from
  /// `BundledMappings.canonicalText`.
  public static let canonical: Mapping = {
    let source = SourceFile(
      path: BundledMappings.canonicalPath, text: BundledMappings.canonicalText)
    if let mapping = parse(source).mapping { return mapping }
    // Unreachable while the bundled text parses clean (a test checks it). Were it ever
    // broken, every read would stop on this required column, never misread a file.
    return Mapping(
      name: "broken-bundled-mapping", path: BundledMappings.canonicalPath, currency: .usd,
      hasHeader: true,
      delimiter: UInt8(ascii: ","), dateFormat: .isoDate,
      kind: .column(
        KindColumn(
          column: .name("<the bundled canonical mapping does not parse: please report this bug>"),
          receiptValues: ["receipt"], disbursementValues: [], skipValues: [])),
      fields: [])
  }()
}
