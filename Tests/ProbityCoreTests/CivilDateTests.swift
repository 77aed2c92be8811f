import Testing

@testable import ProbityCore

/// A date's text, written in place, against the padded numbers it stands for: every day
/// of three years (a leap year among them) and the first and last dates there are.
@Test func dateTextIsThePaddedNumbers() {
  func padded(_ n: Int, _ width: Int) -> String {
    String(repeating: "0", count: width - String(n).count) + String(n)
  }
  var dates = [CivilDate(year: 1, month: 1, day: 1)!, CivilDate(year: 9999, month: 12, day: 31)!]
  dates += [CivilDate(year: 999, month: 7, day: 4)!, CivilDate(year: 10, month: 10, day: 10)!]
  var day = CivilDate(year: 2023, month: 1, day: 1)!
  while day.year < 2026 {
    dates.append(day)
    day = day.adding(days: 1)!
  }
  for date in dates {
    #expect(
      date.description == "\(padded(date.year, 4))-\(padded(date.month, 2))-\(padded(date.day, 2))")
  }
  #expect(CivilDate(year: 2024, month: 2, day: 29)!.description == "2024-02-29")
  #expect(CivilDate(year: 7, month: 1, day: 9)!.description == "0007-01-09")
}
