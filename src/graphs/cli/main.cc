#include <cstdio>
int main() { std::puts("graphs: command line under construction"); return 0; }
