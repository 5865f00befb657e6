#include <iostream>

#include "harden/cli.h"

int main(int argc, char** argv) { return harden::RunCli(argc, argv, std::cout, std::cerr); }
