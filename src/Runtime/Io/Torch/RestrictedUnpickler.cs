using System.Buffers.Binary;
using System.Text;

namespace Ompq.Runtime.Io.Torch;

/// <summary>
/// Reads the pickle stream of a <c>torch.save(state_dict)</c> file as data only. It knows the opcodes a state dict
/// uses (protocols 2–4) and a fixed list of globals (OrderedDict, tensor rebuild functions, storage types); any
/// other global or opcode is an error. Nothing from the stream is ever executed.
/// </summary>
internal sealed class RestrictedUnpickler
{
    private static readonly HashSet<string> StorageTypes = new(StringComparer.Ordinal)
    {
        "FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage", "LongStorage", "IntStorage",
        "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
    };

    private readonly byte[] _data;
    private readonly string _source;
    private readonly ResourceLimits _limits;
    private int _pos;
    private readonly List<object?> _stack = new();
    private readonly Dictionary<long, object?> _memo = new();

    public RestrictedUnpickler(byte[] data, string source, ResourceLimits? limits = null)
    {
        _data = data;
        _source = source;
        _limits = limits ?? ResourceLimits.Default;
    }

    public object? Load()
    {
        while (true)
        {
            int at = _pos;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: ReadByte(); break;                       // PROTO
                case 0x95: Take(8); break;                          // FRAME
                case (byte)'.': return Pop();                       // STOP
                case (byte)'(': Push(PickleMark.Instance); break;   // MARK
                case (byte)')': Push(new PickleTuple(Array.Empty<object?>())); break;
                case (byte)'t': Push(new PickleTuple(PopToMark().ToArray())); break;
                case 0x85: Push(new PickleTuple(new[] { Pop() })); break;
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PickleTuple(new[] { a, b })); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PickleTuple(new[] { a, b, c })); break; }
                case (byte)'}': Push(new PickleDict()); break;
                case (byte)']': Push(new List<object?>()); break;
                case (byte)'a': { var v = Pop(); As<List<object?>>(Peek(), at).Add(v); break; }
                case (byte)'e': { var items = PopToMark(); As<List<object?>>(Peek(), at).AddRange(items); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); As<PickleDict>(Peek(), at).Items.Add(new(k, v)); break; }
                case (byte)'u':
                {
                    var items = PopToMark();
                    if (items.Count % 2 != 0) throw Corrupt(at, "SETITEMS with an odd number of items");
                    var dict = As<PickleDict>(Peek(), at);
                    for (int i = 0; i < items.Count; i += 2) dict.Items.Add(new(items[i], items[i + 1]));
                    break;
                }
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'K': Push((long)ReadByte()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case 0x8a: Push(ReadLong(ReadByte(), at)); break;
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                case (byte)'X': Push(ReadText(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at))); break;
                case 0x8c: Push(ReadText(ReadByte())); break;
                case 0x8d: Push(ReadText(Length(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)), at))); break;
                case (byte)'T': Push(ReadText(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at))); break;
                case (byte)'U': Push(ReadText(ReadByte())); break;
                case (byte)'B': Push(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at)).ToArray()); break;
                case (byte)'C': Push(Take(ReadByte()).ToArray()); break;
                case (byte)'c': Push(Global(ReadLine(), ReadLine(), at)); break;
                case 0x93: { var name = Pop(); var module = Pop(); Push(Global(As<string>(module, at), As<string>(name, at), at)); break; }
                case (byte)'q': Remember(ReadByte(), at); break;
                case (byte)'r': Remember(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at); break;
                case 0x94: Remember(_memo.Count, at); break;
                case (byte)'h': Push(Memo(ReadByte(), at)); break;
                case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at)); break;
                case (byte)'Q': Push(PersistentLoad(Pop(), at)); break;
                case (byte)'R': { var args = As<PickleTuple>(Pop(), at); var callable = As<PickleGlobal>(Pop(), at); Push(Reduce(callable, args, at)); break; }
                case (byte)'b': { var state = Pop(); Build(Peek(), state, at); break; }
                case (byte)'0': Pop(); break;
                case (byte)'1': PopToMark(); break;
                case (byte)'2': Push(Peek()); break;
                default: throw Corrupt(at, $"pickle opcode 0x{op:x2} is not supported in a state dict");
            }
        }
    }

    private object Global(string module, string name, int at)
    {
        bool allowed = (module, name) switch
        {
            ("collections", "OrderedDict") => true,
            ("torch._utils", "_rebuild_tensor_v2") => true,
            ("torch._utils", "_rebuild_parameter") => true,
            ("torch", _) when StorageTypes.Contains(name) => true,
            _ => false,
        };
        if (!allowed) throw Corrupt(at, $"global {module}.{name} is not allowed in a state dict (only tensors and OrderedDict are read)");
        return new PickleGlobal(module, name);
    }

    private object Reduce(PickleGlobal callable, PickleTuple args, int at)
    {
        var a = args.Items;
        switch (callable.Module, callable.Name)
        {
            case ("collections", "OrderedDict"):
                return new PickleDict();
            case ("torch._utils", "_rebuild_tensor_v2") when a.Length >= 4:
                return new TensorRef(As<StorageRef>(a[0], at), As<long>(a[1], at), Longs(a[2], at), Longs(a[3], at));
            case ("torch._utils", "_rebuild_parameter") when a.Length >= 1:
                return As<TensorRef>(a[0], at);
            default:
                throw Corrupt(at, $"cannot call {callable} with {a.Length} arguments");
        }
    }

    private void Build(object? target, object? state, int at)
    {
        // OrderedDict carries its _metadata attribute here; tensors may carry hooks. Neither matters for weights.
        if (target is PickleDict or TensorRef) return;
        throw Corrupt(at, $"BUILD on {PickleNames.Describe(target)} is not supported in a state dict");
    }

    private object PersistentLoad(object? pid, int at)
    {
        var t = As<PickleTuple>(pid, at).Items;
        if (t.Length < 5 || t[0] is not string kind || kind != "storage")
            throw Corrupt(at, "persistent id is not a ('storage', type, key, location, numel) tuple");
        var type = As<PickleGlobal>(t[1], at);
        return new StorageRef(type.Name, As<string>(t[2], at), As<long>(t[4], at));
    }

    private long[] Longs(object? value, int at)
        => As<PickleTuple>(value, at).Items.Select(v => As<long>(v, at)).ToArray();

    private T As<T>(object? value, int at)
        => value is T t ? t : throw Corrupt(at, $"expected {PickleNames.Of(typeof(T))}, found {PickleNames.Describe(value)}");

    private object? Memo(long key, int at)
        => _memo.TryGetValue(key, out var v) ? v : throw Corrupt(at, $"memo key {key} is not defined");

    private object ReadLong(int length, int at)
    {
        if (length > 8) throw Corrupt(at, $"integer of {length} bytes is too large");
        var bytes = Take(length);
        long value = 0;
        for (int i = length - 1; i >= 0; i--) value = (value << 8) | bytes[i];
        if (length is > 0 and < 8 && (bytes[length - 1] & 0x80) != 0) value -= 1L << (8 * length);
        return value;
    }

    private void Push(object? value)
    {
        // DUP or MARK repeated a few hundred million times would otherwise fill memory from a small file.
        if (_stack.Count >= _limits.MaxPickleStack)
            throw ResourceLimits.Exceeded(ResourceLimits.PickleStack,
                $"{_source}: data.pkl byte {_pos}: the pickle stack passes the {ResourceLimits.PickleStack} limit of {_limits.MaxPickleStack} entries");
        _stack.Add(value);
    }

    private void Remember(long key, int at)
    {
        var value = Peek();
        if (!_memo.ContainsKey(key) && _memo.Count >= _limits.MaxPickleMemo)
            throw ResourceLimits.Exceeded(ResourceLimits.PickleMemo,
                $"{_source}: data.pkl byte {at}: the pickle memo passes the {ResourceLimits.PickleMemo} limit of {_limits.MaxPickleMemo} entries");
        _memo[key] = value;
    }

    private object? Pop()
    {
        if (_stack.Count == 0) throw Corrupt(_pos, "stack underflow");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw Corrupt(_pos, "stack underflow");

    private List<object?> PopToMark()
    {
        int mark = _stack.FindLastIndex(v => ReferenceEquals(v, PickleMark.Instance));
        if (mark < 0) throw Corrupt(_pos, "no MARK on the stack");
        var items = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Corrupt(_pos, "unexpected end of the pickle stream");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || _pos + (long)count > _data.Length) throw Corrupt(_pos, "unexpected end of the pickle stream");
        var span = _data.AsSpan(_pos, count);
        _pos += count;
        return span;
    }

    /// <summary>A declared byte length as an int; one longer than the stream could hold is named, not overflowed.</summary>
    private int Length(ulong declared, int at)
        => declared <= (ulong)(_data.Length - _pos) ? (int)declared : throw Corrupt(at, $"a length of {declared} bytes runs past the end of the pickle stream");

    private string ReadText(int length) => PrintableText.Of(Encoding.UTF8.GetString(Take(length)));

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Corrupt(_pos, "unterminated GLOBAL name");
        string s = PrintableText.Of(Encoding.UTF8.GetString(_data, _pos, end - _pos));
        _pos = end + 1;
        return s;
    }

    private InvalidInputException Corrupt(int at, string what) => new($"{_source}: data.pkl byte {at}: {what}");
}
