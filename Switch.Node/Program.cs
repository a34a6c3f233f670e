namespace Switch.Node; public static class Program { public static int Main(string[] a) => 0; }
