/// Every diagnostic ProbityFilings can produce, with its stable id.
///
/// `M` ids are problems in a mapping file; `F` ids are problems in a filing (a CSV file
/// read through a mapping). Ids are never reused or renumbered: tools and tests may
/// match on them. docs/formats.md lists them.
public enum FilingsCatalogue: String, CaseIterable, Sendable {
  // Mapping files.
  case unknownSection = "M0001"
  case unknownKey = "M0002"
  case unknownField = "M0003"
  case unknownParser = "M0004"
  case parserTypeMismatch = "M0005"
  case fieldMappedTwice = "M0006"
  case badDateLayout = "M0007"
  case missingKindSection = "M0008"
  case invalidCurrency = "M0009"
  case syntax = "M0010"
  case unterminatedQuote = "M0011"
  case keyGivenTwice = "M0012"
  case badHeaderValue = "M0013"
  case badDelimiter = "M0014"
  case badColumnReference = "M0015"
  case badParserArgument = "M0016"
  case badConstant = "M0017"
  case incompleteKind = "M0018"
  case kindValueListedTwice = "M0019"
  case sectionGivenTwice = "M0020"
  case missingValue = "M0021"
  case unexpectedText = "M0022"
  case missingCurrency = "M0023"
  case unreadableMapping = "M0024"
  case badFileValue = "M0025"
  case formatMismatch = "M0026"
  case badElementPath = "M0027"

  // Filings.
  case cannotOpen = "F0001"
  case readFailed = "F0002"
  case noHeader = "F0003"
  case missingColumn = "F0004"
  case ambiguousColumn = "F0005"
  case malformedQuoting = "F0006"
  case wrongFieldCount = "F0007"
  case unknownKind = "F0008"
  case badCell = "F0009"
  case invalidUTF8 = "F0010"
  case parserFailure = "F0011"
  case wrongReader = "F0012"
  case unknownFormat = "F0013"
  case fecHeader = "F0014"
  case fecVersion = "F0015"
  case unknownRecordType = "F0016"
  case xmlMalformed = "F0017"
  case xmlUnsafe = "F0018"
  case xmlMissingElement = "F0019"
  case xmlRepeatedElement = "F0020"
  case lineTooLong = "F0021"
  case fieldTooLong = "F0022"
  case xmlTooDeep = "F0023"
  case fecCutShort = "F0024"
  case fecSecondHeader = "F0025"
  case xmlTooManyAttributes = "F0026"
  case overlappingExport = "F0027"
  case overlappingReport = "F0028"
  case xmlUnexpectedRoot = "F0029"
  case fileChanged = "F0030"
  case fecCoverOutOfPlace = "F0031"

  /// The id diagnostics carry.
  public var id: String { rawValue }

  /// One line saying what the diagnostic is about.
  public var summary: String {
    switch self {
    case .unknownSection: return "unknown section"
    case .unknownKey: return "unknown key"
    case .unknownField: return "unknown canonical field"
    case .unknownParser: return "unknown cell parser"
    case .parserTypeMismatch: return "parser output type does not match the field's type"
    case .fieldMappedTwice: return "field mapped twice"
    case .badDateLayout: return "unknown date layout"
    case .missingKindSection: return "missing [kind] section"
    case .invalidCurrency: return "invalid currency code"
    case .syntax: return "malformed line"
    case .unterminatedQuote: return "unterminated quoted value"
    case .keyGivenTwice: return "key given twice"
    case .badHeaderValue: return "header must be yes or no"
    case .badDelimiter: return "invalid delimiter"
    case .badColumnReference: return "invalid column reference"
    case .badParserArgument: return "invalid parser argument"
    case .badConstant: return "constant does not parse as the field's type"
    case .incompleteKind: return "incomplete or contradictory [kind] section"
    case .kindValueListedTwice: return "kind value listed twice"
    case .sectionGivenTwice: return "section given twice"
    case .missingValue: return "key without a value"
    case .unexpectedText: return "unexpected text after a value"
    case .missingCurrency: return "missing currency"
    case .unreadableMapping: return "mapping file cannot be read"
    case .badFileValue: return "invalid format, encoding, quote or field count in [file]"
    case .formatMismatch: return "a CSV construct in an XML mapping, or the reverse"
    case .badElementPath: return "invalid element path"
    case .cannotOpen: return "filing cannot be opened"
    case .readFailed: return "filing cannot be read"
    case .noHeader: return "no header line"
    case .missingColumn: return "mapped column missing from the header"
    case .ambiguousColumn: return "mapped column named twice in the header"
    case .malformedQuoting: return "malformed quoting"
    case .wrongFieldCount: return "row has a different number of fields than the header"
    case .unknownKind: return "unknown kind value"
    case .badCell: return "cell does not parse"
    case .invalidUTF8:
      return "cell is not text in the file's encoding (UTF-8 unless the mapping says otherwise)"
    case .parserFailure: return "the CSV parser failed (out of memory)"
    case .wrongReader: return "the mapping or format does not fit the file"
    case .unknownFormat: return "the filing's format cannot be told from its content"
    case .fecHeader: return "a .fec filing without a readable HDR record or header block"
    case .fecVersion: return "a .fec version Probity does not read"
    case .unknownRecordType: return "a .fec record type that its version does not have"
    case .xmlMalformed:
      return "XML that is not well-formed, or in an encoding Probity does not read"
    case .xmlUnsafe: return "XML with entity declarations or references (refused for safety)"
    case .xmlMissingElement: return "an XML record without an element its mapping requires"
    case .xmlRepeatedElement: return "an element an XML mapping reads appears twice in one record"
    case .lineTooLong: return "a record (a .fec line) longer than the limit (--max-record-bytes)"
    case .fieldTooLong: return "a field longer than the limit (--max-field-bytes)"
    case .xmlTooDeep: return "XML elements nested deeper than the limit (--max-xml-depth)"
    case .fecCutShort:
      return "a .fec filing with fewer lines than its header declares, or no cover record"
    case .fecSecondHeader:
      return "a .fec file with a second header: more than one filing in one file"
    case .fecCoverOutOfPlace:
      return
        "a .fec filing whose receipts and disbursements do not follow one cover record: one before its cover, or a second cover"
    case .xmlTooManyAttributes:
      return "an XML element with more attributes than Probity reads (10,000)"
    case .overlappingExport:
      return
        "an Electoral Commission export that holds some donations of another export given, and some of its own"
    case .overlappingReport:
      return
        "a CSV or XML file of a report that holds some transactions another file of the same report holds, with other values or beside its own"
    case .xmlUnexpectedRoot:
      return "an XML document whose root element is not the one its mapping's records are under"
    case .fileChanged:
      return "an input that changed, was replaced or removed while the run read it"
    }
  }
}
