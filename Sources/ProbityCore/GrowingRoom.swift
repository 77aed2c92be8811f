/// Room that grows by doubling, written and read through a pointer with no check of
/// uniqueness or bounds: for the bytes written most often, where an array's checks on
/// every write were most of the cost (a reader's fields and their ends, per field; the
/// bytes of an interned key, per value). The caller keeps within `capacity` (`reserve`)
/// and knows how much it wrote.
///
/// A structure, not a class: a class's stored properties, read from another module, are
/// checked for exclusive access at run time on every read. Copies share the allocation
/// until one grows (the allocation lives while a copy holds it) or starts afresh
/// (`makeUnique`): a write through one copy, before that, is seen by the others. The
/// holders (`RowCollector`, the engine's `KeyBytes`) start afresh at each row or key.
public struct GrowingRoom<Element: BitwiseCopyable> {
  /// Frees the memory when the last room holding it lets go.
  @usableFromInline
  final class Allocation {
    @usableFromInline let base: UnsafeMutablePointer<Element>
    init(capacity: Int) { base = .allocate(capacity: capacity) }
    deinit { base.deallocate() }
  }

  @usableFromInline var allocation: Allocation
  public private(set) var base: UnsafeMutablePointer<Element>
  public private(set) var capacity: Int

  public init(capacity: Int) {
    self.capacity = Swift.max(capacity, 1)
    allocation = Allocation(capacity: self.capacity)
    base = allocation.base
  }

  /// Makes room for `needed` elements, keeping the first `count`.
  @inlinable @inline(__always)
  public mutating func reserve(_ needed: Int, keeping count: Int) {
    if needed > capacity { grow(needed, keeping: count) }
  }

  /// Gives this room an allocation of its own, if a copy shares it, keeping the first
  /// `count` elements: cheap when it is already its own (a check of a reference count).
  @inlinable
  public mutating func makeUnique(keeping count: Int) {
    if !isKnownUniquelyReferenced(&allocation) { reallocate(capacity, keeping: count) }
  }

  @usableFromInline
  mutating func grow(_ needed: Int, keeping count: Int) {
    reallocate(Swift.max(needed, 2 * capacity), keeping: count)
  }

  @usableFromInline
  mutating func reallocate(_ capacity: Int, keeping count: Int) {
    let moved = Allocation(capacity: capacity)
    moved.base.initialize(from: base, count: count)
    allocation = moved
    base = moved.base
    self.capacity = capacity
  }
}

/// Bytes written one after another into a `GrowingRoom`, and how many: a reader's row,
/// an interned key. Started afresh (`removeAll`) in room of its own, should a copy share
/// it.
public struct GrowingBytes {
  @usableFromInline var room: GrowingRoom<UInt8>
  @usableFromInline var written = 0

  public init(capacity: Int) { room = GrowingRoom(capacity: capacity) }

  /// How many bytes were written.
  @inlinable public var count: Int { written }

  @inlinable
  public mutating func removeAll() {
    room.makeUnique(keeping: 0)
    written = 0
  }

  @inlinable @inline(__always)
  public mutating func append(_ byte: UInt8) {
    room.reserve(written + 1, keeping: written)
    (room.base + written).initialize(to: byte)
    written += 1
  }

  @inlinable @inline(__always)
  public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
    room.reserve(written + bytes.count, keeping: written)
    (room.base + written).initialize(from: source, count: bytes.count)
    written += bytes.count
  }

  /// The bytes of a number, a date or a currency, as they are in memory.
  @inlinable @inline(__always)
  public mutating func append<T: BitwiseCopyable>(bytesOf value: T) {
    Swift.withUnsafeBytes(of: value) { append($0.assumingMemoryBound(to: UInt8.self)) }
  }

  /// The bytes written.
  @inlinable
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R)
    rethrows -> R
  {
    try body(UnsafeBufferPointer(start: room.base, count: written))
  }
}
