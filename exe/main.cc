#include "app/cli.h"

int main(int argc, char** argv) { return heartbeat::app::Main(argc, argv); }
