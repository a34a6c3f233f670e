public static class BenchMain { public static void Main() {} }
