namespace Ompq.Runtime.Io.Torch;

/// <summary>
/// What pickled values are called in messages: Python's words (tuple, dict, int, None), never the .NET types the
/// unpickler holds them in, so an error reads in the terms of the file.
/// </summary>
internal static class PickleNames
{
    public static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"str '{s}'",
        long n => $"int {n}",
        double d => $"float {d}",
        bool b => b ? "True" : "False",
        _ => Of(value.GetType()),
    };

    public static string Of(Type type) =>
        type == typeof(string) ? "a str"
        : type == typeof(long) ? "an int"
        : type == typeof(double) ? "a float"
        : type == typeof(bool) ? "a bool"
        : type == typeof(byte[]) ? "bytes"
        : type == typeof(PickleTuple) ? "a tuple"
        : type == typeof(PickleDict) ? "a dict"
        : type == typeof(List<object?>) ? "a list"
        : type == typeof(PickleGlobal) ? "a global name"
        : type == typeof(StorageRef) ? "a storage"
        : type == typeof(TensorRef) ? "a tensor"
        : type == typeof(PickleMark) ? "a MARK"
        : "a value of an unsupported kind";
}
