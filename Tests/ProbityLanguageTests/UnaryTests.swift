import ProbityCore
import Testing

@testable import ProbityLanguage

/// `Semantics.unary` answers the functions `hasUnary` names, on a value of their
/// argument's type, and no other: kernels call it only for those (and `apply` for the
/// rest), so the two lists must agree.
@Test(
  "unary answers exactly the functions hasUnary names",
  arguments: [
    "upper", "lower", "trim", "length", "starts_with", "ends_with", "contains", "year", "month",
    "days_between", "add_days", "present", "missing", "blank", "abs", "election_year", "cycle",
    "quarter", "person_key", "org_key", "zip5", "postcode", "text",
  ])
func unaryAgreesWithHasUnary(_ name: String) throws {
  let builtin = try #require(Builtin.simple(named: name))
  let values: [Value] = [
    .string("P2024"), .string("45402-1234"), .date(CivilDate(year: 2024, month: 11, day: 5)!),
    .money(Money(units: 5, currency: .usd)), .integer(3), .boolean(true),
  ]
  let answered = values.filter { Semantics.unary(builtin, $0) != nil }
  #expect(!answered.isEmpty == Semantics.hasUnary(builtin), "\(name)")
  // Where it answers, it answers as `apply` does.
  for value in answered {
    #expect(
      Semantics.apply(.call(builtin), value, .missing, count: 1)
        == .success(Semantics.unary(builtin, value)!))
  }
  // A missing value is left to `apply`.
  #expect(Semantics.unary(builtin, .missing) == nil)
}
