import ProbityCore

/// Decoding only the fields a run reads (`FilingReader.read(fields:)`).
///
/// A column whose field is not wanted and whose parser is `text` is passed over when its
/// cell is plain ASCII: such a cell is always a valid string, so passing over it cannot
/// change whether its row is accepted, and no `String` is made of it. Every other cell
/// is read as before: a text cell with other bytes (its encoding is checked), and amounts,
/// dates, numbers and flags, which may be bad values that reject the row. So the records
/// accepted, the records rejected and what is said about them are the same whatever the
/// fields wanted; only the values of fields no one reads may be left missing (a `name`
/// no one reads is not derived from its parts either). The fields left out are named on
/// each record (`Record.leftOut`), and reading one is stopped in debug builds.
///
/// The XML reader passes over the text of such a field whatever its bytes: libxml2 has
/// checked the encoding of the whole document, so any text it gives is a valid string.
/// It keeps the text's length (an element over the field limit still rejects its record)
/// and that the element is there (required, or given twice).
enum FieldProjection {
  /// `wanted`, with the fields the readers make wanted fields from: a wanted `name` is
  /// derived from the organisation and name parts when the filing has none, and a .fec
  /// name without its parts' separator is an organisation's by its entity type. A wanted
  /// `name` wants its `prefix` too.
  static func closed(_ wanted: FieldSet) -> FieldSet {
    var fields = wanted
    if let parts = NameParts.canonical, fields.contains(parts.name) {
      for field in [parts.organization, parts.last, parts.first, parts.middle, parts.suffix] {
        fields.insert(field)
      }
      // And its prefix, which the name is not made with: a man's title and a woman's
      // tell two people one person key joins (the engine's `TrailBuilder`).
      if let prefix = CanonicalSchema.id(named: "prefix") { fields.insert(prefix) }
    }
    if let organization = CanonicalSchema.id(named: "organization_name"),
      fields.contains(organization), let entity = CanonicalSchema.id(named: "entity_type")
    {
      fields.insert(entity)
    }
    return fields
  }

  /// The fields a record of a read told to read `wanted` leaves out (none without a
  /// projection): `Record.leftOut`.
  static func leftOut(_ wanted: FieldSet?) -> FieldSet {
    wanted.map { closed($0).complement } ?? FieldSet()
  }

  /// Whether a reader derives `name` from its parts: not when the run does not read it.
  static func derivesName(leftOut: FieldSet) -> Bool {
    NameParts.canonical.map { !leftOut.contains($0.name) } ?? false
  }

  /// Whether the plain ASCII cells of a column feeding `field` through `parser` are
  /// passed over: `field` is not wanted (nil wants every field) and its cells are text.
  static func passesOver(_ field: FieldID, _ parser: CellParser, wanted: FieldSet?) -> Bool {
    guard let wanted, !wanted.contains(field), case .text = parser else { return false }
    return true
  }
}

/// What every record read through one mapping shares: the constants it sets, the fields
/// it cannot give (`Record.unavailable`: neither mapped, nor a constant, nor derived),
/// and the fields the run does not read (`Record.leftOut`), with whether `name` is
/// derived from its parts. The delimited and XML readers make theirs alike.
struct MappedFields {
  let constants: [(field: FieldID, value: Value)]
  let unavailable: FieldSet
  let leftOut: FieldSet
  let derivesName: Bool

  /// `template`: every field missing but the constants; `mapped`: the fields a column or
  /// an element gives; `wanted`: the fields the run reads (nil: all).
  init(template: [Value], mapped: some Sequence<FieldID>, wanted: FieldSet?) {
    constants = template.indices.filter { !template[$0].isMissing }.map { ($0, template[$0]) }
    var available = FieldSet(mapped)
    for (field, value) in template.enumerated() where !value.isMissing { available.insert(field) }
    NameParts.canonical?.markDerived(&available)
    unavailable = available.complement
    leftOut = FieldProjection.leftOut(wanted)
    derivesName = FieldProjection.derivesName(leftOut: leftOut)
  }
}
